"""The runtime as a package: its seams (settings base, identity, metrics buckets) and its one version."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from opentelemetry.semconv.resource import ResourceAttributes

import groundwork_runtime
from groundwork_runtime.identity import Identity
from groundwork_runtime.metrics import RedMetrics, build_registry, render
from groundwork_runtime.settings import ConfigurationError, RuntimeSettings, load_settings
from groundwork_runtime.tracing import build_resource

RUNTIME = Path(__file__).resolve().parents[1]


class Orders(RuntimeSettings):
    declared_downstreams: ClassVar[tuple[str, ...]] = ("payment",)


def test_the_template_pins_the_version_this_folder_builds() -> None:
    version = tomllib.loads((RUNTIME / "pyproject.toml").read_text())["project"]["version"]
    copier = yaml.safe_load((RUNTIME.parent / "copier.yml").read_text())
    assert copier["runtime_version"]["default"] == version


def test_the_version_has_a_changelog_entry_and_is_what_is_installed() -> None:
    version = tomllib.loads((RUNTIME / "pyproject.toml").read_text())["project"]["version"]
    assert f"## {version}" in (RUNTIME / "CHANGELOG.md").read_text(), "every released version has a CHANGELOG entry"
    assert groundwork_runtime.__version__ == version


def test_a_service_subclass_names_its_downstreams_and_refuses_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DOWNSTREAMS", '{"payment": "http://127.0.0.1:9"}')
    assert load_settings(Orders).downstream_urls == {"payment": "http://127.0.0.1:9"}
    monkeypatch.setenv("APP_DOWNSTREAMS", '{"inventory": "http://127.0.0.1:9"}')
    with pytest.raises(ConfigurationError, match=r"^invalid configuration: APP_DOWNSTREAMS: .*declared: payment"):
        load_settings(Orders)


def test_configuration_errors_name_the_variable_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "2")
    monkeypatch.setenv("APP_PORT", "http")
    with pytest.raises(ConfigurationError) as refused:
        load_settings(RuntimeSettings)
    lines = str(refused.value).splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["APP_PORT", "OTEL_TRACES_SAMPLER_ARG"]


def test_the_identity_names_the_service_in_its_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    attributes = build_resource(Identity("orders", "commerce", "1.4.0")).attributes
    assert attributes[ResourceAttributes.SERVICE_NAME] == "orders"
    assert attributes[ResourceAttributes.SERVICE_NAMESPACE] == "commerce"
    assert attributes[ResourceAttributes.SERVICE_VERSION] == "1.4.0"


def test_red_metrics_count_into_the_buckets_the_service_gives() -> None:
    registry = build_registry()
    metrics = RedMetrics(registry, (0.3, 0.1))
    metrics.observe("GET", "/v1/hello", 200, 0.2)
    text = render(registry).decode()
    assert 'http_request_duration_seconds_bucket{le="0.1",method="GET",route="/v1/hello",status="200"} 0.0' in text
    assert 'http_request_duration_seconds_bucket{le="0.3",method="GET",route="/v1/hello",status="200"} 1.0' in text
