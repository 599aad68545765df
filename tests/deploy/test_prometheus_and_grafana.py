"""deploy/: alert rules pass promtool's check and unit tests; the scrape configuration passes
promtool and reaches every server pod with a token; dashboards query real metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry

from shipyard.monitoring.live.gauges import METRICS
from shipyard.server.app import create_app
from shipyard.serving.metrics import ServingMetrics
from tests.deploy.manifests import NAMESPACE, one, selects
from tests.serverkit import fresh_database, make_team, running, server_context

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
SCRAPE = DEPLOY / "prometheus" / "prometheus.yml"
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
    assert "shipyard_monitor_drift_not_enough_data" in queried  # "no verdict" is visible


def _scrape_jobs() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load(SCRAPE.read_text())
    assert config["rule_files"] == [ALERTS.name]
    return {job["job_name"]: job for job in config["scrape_configs"]}


def _with_tokens(folder: Path) -> Path:
    """deploy/prometheus copied into ``folder``, with a token file at every path it names."""
    copy = folder / "prometheus"
    shutil.copytree(SCRAPE.parent, copy)
    for job in _scrape_jobs().values():
        token = copy / job["authorization"]["credentials_file"]
        token.parent.mkdir(parents=True, exist_ok=True)
        token.write_text("shy_example\n")
    return copy / SCRAPE.name


def test_the_scrape_configuration_passes_promtool_check(tmp_path: Path) -> None:
    config = _with_tokens(tmp_path)
    done = subprocess.run([promtool(), "check", "config", str(config)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is valid prometheus config file" in done.stdout


def test_every_scrape_job_sends_a_bearer_token_read_from_a_file() -> None:
    jobs = _scrape_jobs()
    assert set(jobs) == {"shipyard-server", "shipyard-serving"}
    for name, job in jobs.items():
        assert job["authorization"]["type"] == "Bearer", name
        assert not Path(job["authorization"]["credentials_file"]).is_absolute(), name
        assert "credentials" not in job["authorization"], name  # never the token itself
        assert "bearer_token" not in job, name


def test_the_server_job_scrapes_each_pod_of_the_deployment() -> None:
    (sd,) = _scrape_jobs()["shipyard-server"]["dns_sd_configs"]
    (name,) = sd["names"]
    service_name, namespace = name.split(".")[:2]
    service = one("Service", service_name)
    assert service["spec"]["clusterIP"] == "None"  # headless: one address per pod
    assert namespace == service["metadata"]["namespace"] == NAMESPACE
    pod = one("Deployment")["spec"]["template"]
    assert selects({"matchLabels": service["spec"]["selector"]}, pod["metadata"]["labels"])
    (port,) = pod["spec"]["containers"][0]["ports"]
    assert sd["port"] == port["containerPort"]
    admitted = one("NetworkPolicy", "shipyard-server")["spec"]["ingress"][0]["from"]
    monitoring = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    assert {"namespaceSelector": monitoring} in admitted  # where Prometheus runs


def test_the_server_as_configured_answers_the_scrape_only_with_its_token(tmp_path: Path) -> None:
    """The ConfigMap's metrics setting on a real server, scraped as Prometheus does: with
    ``Authorization: Bearer <the file's content>``, and without."""
    public = one("ConfigMap")["data"]["SHIPYARD_SERVER_PUBLIC_METRICS"] == "true"
    job = _scrape_jobs()["shipyard-server"]
    token_file = tmp_path / job["authorization"]["credentials_file"]
    token_file.parent.mkdir(parents=True)
    with fresh_database("sqlite", tmp_path) as db:
        token_file.write_text(make_team(db).tokens["viewer"] + "\n")
        ctx = server_context(db, **{"server.public_metrics": public})
        with running(create_app(ctx)) as port:
            url = f"http://127.0.0.1:{port}{job['metrics_path']}"
            token = token_file.read_text().strip()  # Prometheus trims the file's newline
            scraped = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
            anonymous = httpx.get(url)
        ctx.close()
    assert scraped.status_code == 200, scraped.text
    assert "shipyard_http_requests_total" in scraped.text
    assert anonymous.status_code == 401  # metrics are not for whoever reaches the pod
