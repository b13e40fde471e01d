"""Kubernetes documents that differ only by their service's name are validated against the strict schemas once,
and each error is still reported for the document it is about, naming that document's own service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from groundwork.check.validate.core import CoreSchemas


def _deployment(name: str, **spec: Any) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": name, "team": f"team-{name}"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": name, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": f"ghcr.io/acme/{name}:1.0"}]},
            },
            **spec,
        },
    }


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a strict schema validated a document."""
    count = [0]
    real = jsonschema.validators.Draft202012Validator.iter_errors

    def counting(self: Any, instance: Any, *args: Any) -> Iterator[Any]:
        count[0] += 1
        return real(self, instance, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(jsonschema.validators.Draft202012Validator, "iter_errors", counting)
    return count


def test_documents_that_differ_only_by_name_are_validated_once(validations: list[int]) -> None:
    core = CoreSchemas()
    for name in ("alpha", "beta", "gamma"):
        assert core.errors(_deployment(name), name) == []
    assert validations[0] == 1


def test_an_error_is_reported_for_its_document_only_and_names_its_service(validations: list[int]) -> None:
    core = CoreSchemas()
    assert core.errors(_deployment("alpha"), "alpha") == []
    broken = {name: core.errors(_deployment(name, **{f"{name}-extra": 1}), name) for name in ("beta", "delta")}
    assert core.errors(_deployment("gamma"), "gamma") == []
    assert validations[0] == 2  # the clean ones once, the two broken ones once
    for name, other in (("beta", "delta"), ("delta", "beta")):
        errors = broken[name]
        assert errors
        assert len(errors) == 1
        assert f"'{name}-extra' was unexpected" in errors[0]
        assert other not in errors[0]


def test_a_different_document_is_validated_on_its_own(validations: list[int]) -> None:
    core = CoreSchemas()
    assert core.errors(_deployment("alpha"), "alpha") == []
    assert core.errors(_deployment("beta", replicas=2), "beta") == []
    assert core.errors(_deployment("gamma", replicaz=2), "gamma")
    assert validations[0] == 3


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("replicas", "a property name: renaming it would turn a known field into an unknown one"),
        ("image", "a property name too (a container's image)"),
        ("Alpha", "not a service name"),
    ],
)
def test_a_name_the_schemas_use_is_not_taken_out(validations: list[int], name: str, why: str) -> None:
    core = CoreSchemas()
    core.errors(_deployment("alpha"), "alpha")
    core.errors(_deployment(name), name)
    assert validations[0] == 2, why


def test_without_a_name_identical_documents_are_validated_once(validations: list[int]) -> None:
    core = CoreSchemas()
    assert core.errors(_deployment("alpha")) == core.errors(_deployment("alpha")) == []
    core.errors(_deployment("beta"))
    assert validations[0] == 2


def test_a_document_json_cannot_tell_apart_is_validated_on_its_own(validations: list[int]) -> None:
    """A number as a key reads as a string in JSON: such a document shares no verdict."""
    core = CoreSchemas()
    strings = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"1": "x"}}
    numbers = {**strings, "data": {1: "x"}}
    core.errors(strings)
    core.errors(numbers)
    core.errors(numbers)
    assert validations[0] == 3
