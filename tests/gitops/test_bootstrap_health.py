"""The Lua health checks in argocd-cm (bootstrap/argocd/values.yaml), run in a real Lua interpreter.

Argo CD runs them in gopher-lua (Lua 5.1); LuaJIT (lupa) speaks the same dialect. Each check gets the live
object as the global `obj` and returns {status, message}.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from bootstrap_support import BOOTSTRAP

CM = yaml.safe_load((BOOTSTRAP / "argocd" / "values.yaml").read_text(encoding="utf-8"))["configs"]["cm"]
APPLICATION = "resource.customizations.health.argoproj.io_Application"
APPLICATIONSET = "resource.customizations.health.argoproj.io_ApplicationSet"


def _run(script: str, obj: dict[str, Any]) -> dict[str, str]:
    from lupa import luajit21  # type: ignore[import-untyped]

    lua = luajit21.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute(script)
    return {"status": result["status"], "message": result["message"] or ""}


def _appset(conditions: list[dict[str, str]] | None, resources: list[dict[str, Any]] | None = None) -> dict:
    status: dict[str, Any] = {}
    if conditions is not None:
        status["conditions"] = conditions
    if resources is not None:
        status["resources"] = resources
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "status": status} if status else {}


UP_TO_DATE = {"type": "ResourcesUpToDate", "status": "True", "message": "All applications have been generated"}


def _app(name: str, health: str | None) -> dict[str, Any]:
    resource: dict[str, Any] = {"kind": "Application", "name": name, "status": "Synced"}
    if health is not None:
        resource["health"] = {"status": health}
    return resource


def test_both_checks_are_configured() -> None:
    assert "obj.status.health.status" in CM[APPLICATION]
    assert "obj.status.resources" in CM[APPLICATIONSET]


@pytest.mark.parametrize(
    ("obj", "status"),
    [
        ({}, "Progressing"),
        ({"status": {}}, "Progressing"),
        ({"status": {"health": {"status": "Healthy"}}}, "Healthy"),
        ({"status": {"health": {"status": "Degraded", "message": "back-off"}}}, "Degraded"),
        ({"status": {"health": {"status": "Missing"}}}, "Missing"),
    ],
)
def test_application_health_is_the_child_applications_own(obj: dict[str, Any], status: str) -> None:
    assert _run(CM[APPLICATION], obj)["status"] == status


def test_application_health_keeps_the_message() -> None:
    result = _run(CM[APPLICATION], {"status": {"health": {"status": "Degraded", "message": "back-off"}}})
    assert result["message"] == "back-off"


@pytest.mark.parametrize(
    ("obj", "status", "message"),
    [
        (_appset(None), "Progressing", "Waiting for the ApplicationSet controller"),
        (_appset([{"type": "ErrorOccurred", "status": "True", "message": "bad template"}]), "Degraded", "bad template"),
        (_appset([{"type": "ResourcesUpToDate", "status": "False", "message": "x"}]), "Degraded", "x"),
        (_appset([{"type": "ParametersGenerated", "status": "True", "message": ""}]), "Progressing", "generated"),
        (_appset([UP_TO_DATE]), "Healthy", "Every generated Application is Healthy"),
        (_appset([UP_TO_DATE], []), "Healthy", ""),
        (_appset([UP_TO_DATE], [_app("a", "Healthy"), _app("b", "Healthy")]), "Healthy", ""),
        (_appset([UP_TO_DATE], [_app("a", "Healthy"), _app("b", "Progressing")]), "Progressing", "b (Progressing)"),
        (_appset([UP_TO_DATE], [_app("a", None)]), "Progressing", "a (Unknown)"),
        (_appset([UP_TO_DATE], [_app("a", "Missing"), _app("b", "Degraded")]), "Degraded", "b is Degraded"),
    ],
)
def test_applicationset_waits_for_every_generated_application(obj: dict, status: str, message: str) -> None:
    result = _run(CM[APPLICATIONSET], obj)
    assert result["status"] == status
    assert message in result["message"]
