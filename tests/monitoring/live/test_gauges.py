"""What monitors found, on /metrics: the collector, the team server and ``shipyard serve``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest

from shipyard.context import Context
from shipyard.core.monitors import MonitorConfig
from shipyard.monitoring.live.gauges import METRICS, MonitorCollector
from shipyard.monitoring.live.result import MonitorResult
from shipyard.monitoring.live.results_store import save_result
from shipyard.monitoring.live.service import monitor
from shipyard.serving.options import ServeOptions
from shipyard.store.db import Database
from tests.monitoring.live.conftest import NOW, LogWriter, columns_of, frame
from tests.serverkit import Team, server_context
from tests.serving.conftest import Models, Server, metric


def exposition(collector: MonitorCollector) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_the_collector_exports_the_newest_result_of_each_monitor(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    log.predictions(columns_of(frame(1500, shift=1.0)), at=NOW - timedelta(hours=2))
    cfg = MonitorConfig(name="churn", model="churn", reference=str(reference), multivariate=False)
    monitor(ctx, cfg, now=NOW - timedelta(days=3), interval_s=3600)  # an older, empty window
    monitor(ctx, cfg, now=NOW, interval_s=3600)
    text = exposition(MonitorCollector(lambda: ctx.db, project="demo", ttl_s=0))
    base = {"project": "demo", "monitor": "churn", "model": "churn"}
    assert metric(text, "shipyard_monitor_dataset_drift", **base) == 1
    assert metric(text, "shipyard_monitor_share_drifted", **base) == 1
    assert metric(text, "shipyard_monitor_rows", **base) == 1500
    assert metric(text, "shipyard_monitor_interval_seconds", **base) == 3600
    assert metric(text, "shipyard_monitor_breach", kind="drift", **base) == 1
    assert metric(text, "shipyard_monitor_breach", kind="performance", **base) == 0
    assert metric(text, "shipyard_monitor_feature_drifted", feature="age", **base) == 1
    assert metric(text, "shipyard_monitor_drift_score", feature="age", test="wasserstein") > 0.1
    assert metric(text, "shipyard_monitor_last_run_timestamp_seconds", **base) > 1.7e9
    assert metric(text, "shipyard_monitor_results_readable") == 1
    for name in METRICS:
        assert f"# TYPE {name} gauge" in text
    other = exposition(MonitorCollector(lambda: ctx.db, project="elsewhere", ttl_s=0))
    assert "shipyard_monitor_rows{" not in other


def test_an_unreadable_store_gives_a_gauge_not_a_failed_scrape(tmp_path: Path) -> None:
    def broken() -> Database:
        raise OSError("the database is away")

    assert metric(exposition(MonitorCollector(broken)), "shipyard_monitor_results_readable") == 0


def _result(model: str, rows: int) -> MonitorResult:
    return MonitorResult(
        monitor=model, model=model, window_start=NOW - timedelta(hours=1), window_end=NOW,
        bucket_seconds=300, rows=rows,
    )  # fmt: skip


def test_the_team_server_exports_monitor_gauges_of_every_project(
    database: Database, client: TestClient, team: Team, tmp_path: Path
) -> None:
    for project, rows in (("churn", 10), ("fraud", 20)):
        flags = {"project.name": project, "objects.path": str(tmp_path / "objects")}
        with server_context(database, **flags) as ctx:
            save_result(ctx, _result(project, rows), interval_s=None, notified=False)
    text = client.get("/metrics", headers=team.headers("viewer")).text
    assert metric(text, "shipyard_monitor_rows", project="churn", monitor="churn") == 10
    assert metric(text, "shipyard_monitor_rows", project="fraud", monitor="fraud") == 20
    assert metric(text, "shipyard_monitor_results_readable") == 1


@pytest.mark.slow
def test_shipyard_serve_exports_gauges_of_its_models_beside_request_metrics(
    serve: Callable[..., Server],
    models: Models,
    ctx: Context,
) -> None:
    save_result(ctx, _result("churn", 42), interval_s=None, notified=False)
    save_result(ctx, _result("other-model", 7), interval_s=None, notified=False)
    server = serve(ServeOptions(models=(f"churn={models.logistic}",), log_rate=0.0), ctx=ctx)
    text = server.client.get("/metrics").text
    assert metric(text, "shipyard_monitor_rows", monitor="churn") == 42
    assert 'monitor="other-model"' not in text  # not served here
    assert "shipyard_serving_requests_total" in text or "shipyard_serving_requests" in text


def test_too_little_traffic_exports_not_enough_data_instead_of_a_drift_verdict(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    log.predictions(columns_of(frame(3, shift=1.0)), at=NOW - timedelta(hours=2))
    cfg = MonitorConfig(name="churn", model="churn", reference=str(reference))
    assert monitor(ctx, cfg, now=NOW).result.status == "not_enough_data"
    text = exposition(MonitorCollector(lambda: ctx.db, project="demo", ttl_s=0))
    base = {"project": "demo", "monitor": "churn", "model": "churn"}
    assert metric(text, "shipyard_monitor_drift_not_enough_data", **base) == 1
    assert metric(text, "shipyard_monitor_feature_not_enough_data", feature="age", **base) == 1
    assert metric(text, "shipyard_monitor_rows", **base) == 3
    for verdict in ("dataset_drift", "share_drifted", "feature_drifted"):
        assert f"shipyard_monitor_{verdict}{{" not in text  # neither 0 nor 1: no verdict
    assert metric(text, "shipyard_monitor_breach", kind="drift", **base) == 0
