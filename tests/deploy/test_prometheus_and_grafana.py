"""deploy/: alert rules pass promtool's check and unit tests; dashboards query real metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from shipyard.monitoring.live.gauges import METRICS
from shipyard.serving.metrics import ServingMetrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "shipyard-dashboard.json"
_NAME = re.compile(r"\bshipyard_[a-z0-9_]+")
_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:  # scripts/ensure-services installs Debian's prometheus package
        pytest.fail("promtool is missing: run scripts/ensure-services (apt-get install prometheus)")
    return found


def exported_metrics() -> set[str]:
    """Every metric family name Shipyard's servers can expose."""
    from shipyard.server.metrics import HttpMetrics

    names = set(METRICS)
    serving = ServingMetrics()
    assert serving.registry is not None
    registry = CollectorRegistry()
    HttpMetrics(lambda *_: None, registry=registry)  # type: ignore[arg-type]
    for source in (serving.registry, registry):
        names |= {family.name for family in source.collect()}
    return names


def base_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def test_alert_rules_pass_promtool_check() -> None:
    done = subprocess.run([promtool(), "check", "rules", str(ALERTS)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_alert_rules_pass_their_promtool_unit_tests() -> None:
    done = subprocess.run([promtool(), "test", "rules", "alerts.test.yml"], cwd=ALERTS.parent,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_is_unit_tested_and_uses_metrics_we_export() -> None:
    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
    tested = {
        case["alertname"]
        for test in yaml.safe_load((ALERTS.parent / "alerts.test.yml").read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    }
    exported = exported_metrics()
    untested = []
    for rule in rules:
        for name in _NAME.findall(rule["expr"]):
            assert base_name(name) in exported, f"{rule['alert']} uses unknown metric {name}"
        if rule["alert"] not in tested and rule["alert"] not in {
            "ShipyardMonitorResultsUnreadable", "ShipyardInferenceLogDrops",
            "ShipyardServerErrorRate",
        }:  # fmt: skip
            untested.append(rule["alert"])
    assert not untested, f"add promtool tests for {untested}"


def test_the_grafana_dashboard_is_valid_and_queries_only_our_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 15
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    exported = exported_metrics()
    queried = set()
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            for name in _NAME.findall(target["expr"]):
                queried.add(base_name(name))
    for variable in dashboard["templating"]["list"]:
        queried |= {base_name(n) for n in _NAME.findall(str(variable.get("query", "")))}
    unknown = queried - exported
    assert not unknown, f"the dashboard queries metrics nothing exports: {sorted(unknown)}"
    assert any(n.startswith("shipyard_serving_") for n in queried)
    assert any(n.startswith("shipyard_monitor_") for n in queried)
