"""gitops/versions.yaml: one exact version per chart, read by code and found by Renovate."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bootstrap_support import ADDONS, BOOTSTRAP, REPO_ROOT, VERSIONS

from groundwork.gitops.versions import InvalidVersionsFile, argocd_pin, chart_pin, load_pins, versions_file

RENOVATE = REPO_ROOT / "renovate.json"


def test_every_pin_is_exact() -> None:
    pins = load_pins(VERSIONS)
    assert len(pins) == 15
    for pin in pins.values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", pin.version), pin
        assert pin.repository.startswith("https://"), pin


def test_argocd_pin_is_what_the_file_says() -> None:
    raw = yaml.safe_load(VERSIONS.read_text(encoding="utf-8"))["charts"]["argocd"]
    pin = argocd_pin(REPO_ROOT)
    assert (pin.chart, pin.repository, pin.version) == (raw["chart"], raw["repository"], raw["version"])
    assert pin.chart == "argo-cd"
    assert versions_file(REPO_ROOT) == VERSIONS
    assert chart_pin(REPO_ROOT, "istiod").version == chart_pin(REPO_ROOT, "istio_base").version


def test_istio_charts_and_image_share_one_version() -> None:
    pins = load_pins(VERSIONS)
    (version,) = {pins[k].version for k in ("istio_base", "istio_cni", "istiod", "istio_gateway")}
    for addon in ("istiod", "istio-cni"):
        values = yaml.safe_load((ADDONS / addon / "values.yaml").read_text(encoding="utf-8"))
        assert values["global"]["tag"] == version, addon


def _write(tmp_path: Path, charts: object) -> Path:
    path = tmp_path / "versions.yaml"
    path.write_text(yaml.safe_dump({"charts": charts}), encoding="utf-8")
    return path


GOOD = {"chart": "argo-cd", "repository": "https://argoproj.github.io/argo-helm", "version": "10.1.1"}


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ({**GOOD, "version": "^10.1.0"}, "charts.argocd.version '^10.1.0' is not an exact version"),
        ({**GOOD, "version": "10.1.x"}, "is not an exact version"),
        ({**GOOD, "version": ">=10"}, "is not an exact version"),
        ({**GOOD, "version": "v10.1.1"}, "is not an exact version"),
        ({**GOOD, "version": "10.1"}, "is not an exact version"),
        ({**GOOD, "version": 10.1}, "charts.argocd.version is missing or not a string"),
        ({"chart": "argo-cd", "version": "10.1.1"}, "charts.argocd.repository is missing"),
        ({**GOOD, "repository": "http://example.com"}, "is not an https URL"),
        ({**GOOD, "digest": "sha256:x"}, "unknown field(s) digest"),
        ("10.1.1", "charts.argocd is not a mapping"),
    ],
)
def test_a_bad_pin_is_refused_with_one_line(tmp_path: Path, entry: object, complaint: str) -> None:
    path = _write(tmp_path, {"argocd": entry})
    with pytest.raises(InvalidVersionsFile) as raised:
        load_pins(path)
    message = str(raised.value)
    assert complaint in message
    assert "\n" not in message


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidVersionsFile, match="is missing"):
        load_pins(tmp_path / "versions.yaml")
    (tmp_path / "versions.yaml").write_text("charts: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidVersionsFile, match="not valid YAML at line"):
        load_pins(tmp_path / "versions.yaml")
    (tmp_path / "versions.yaml").write_text("nothing: here\n", encoding="utf-8")
    with pytest.raises(InvalidVersionsFile, match="no 'charts' mapping"):
        load_pins(tmp_path / "versions.yaml")
    gitops = tmp_path / "gitops"
    gitops.mkdir()
    _write(gitops, {"tempo": {**GOOD, "chart": "tempo"}})
    with pytest.raises(InvalidVersionsFile, match="pins no chart 'argocd'"):
        argocd_pin(tmp_path)


def _renovate_regex() -> re.Pattern[str]:
    config = json.loads(RENOVATE.read_text(encoding="utf-8"))
    (manager,) = [m for m in config["customManagers"] if "/^gitops/versions\\.yaml$/" in m["managerFilePatterns"]]
    assert manager["datasourceTemplate"] == "helm"
    (pattern,) = manager["matchStrings"]
    return re.compile(pattern.replace("(?<", "(?P<"))  # JavaScript named groups in Python's syntax


def test_renovate_finds_every_pin() -> None:
    found = {
        (m["depName"], m["registryUrl"], m["currentValue"])
        for m in _renovate_regex().finditer(VERSIONS.read_text(encoding="utf-8"))
    }
    pins = {(p.chart, p.repository, p.version) for p in load_pins(VERSIONS).values()}
    assert found == pins


def test_renovate_config_is_valid() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.renovate", str(RENOVATE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_chart_version_outside_the_pin_file() -> None:
    """ApplicationSets name `{{ .charts.<key>.version }}`, never a literal targetRevision for a chart."""
    for path in sorted(BOOTSTRAP.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            text = json.dumps(document)
            for revision in re.findall(r'"targetRevision": "([^"]*)"', text):
                assert revision.startswith("{{"), f"{path}: literal targetRevision {revision}"
