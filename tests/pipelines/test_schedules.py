"""What the scheduler publishes each pass (``pipeline_schedules``) and the route that reads
it: the cron, the next tick, what is watched, the newest triggers, the last pass."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.context import Context, open_context
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.pipelines.scheduler import Scheduler
from shipyard.pipelines.schedules import schedule_states
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.pipelines.test_scheduler import Clock, _configure
from tests.serverkit import server_context

FLOW = "tests.pipelines.flows:arithmetic"
OWN = "tests.pipelines.flows:quarter_hourly"


def _by_name(ctx: Context) -> dict[str, dict[str, Any]]:
    return {s["pipeline"]: s for s in schedule_states(ctx)}


def test_each_pass_publishes_the_cron_the_next_tick_and_the_runs_it_started(
    workspace: Path,
) -> None:
    _configure(workspace, f'[pipelines.nightly]\npipeline = "{FLOW}"\nschedule = "0 3 * * *"\n'
                          f'catch_up = "once"\non_dataset = ["sensors"]\n'
                          f'on_alias = ["churn@production"]\n'
                          f'[pipelines.own]\npipeline = "{OWN}"\n')  # fmt: skip
    clock = Clock(datetime(2026, 12, 7, 2, 59, tzinfo=UTC))
    with open_context() as ctx:
        scheduler = Scheduler(ctx, now=clock, interval_s=5.0)
        scheduler.tick()
        seen = _by_name(ctx)
        nightly = seen["nightly"]
        assert nightly["schedule"] == "0 3 * * *"
        assert nightly["next_tick"] == "2026-12-07T03:00:00+00:00"
        assert nightly["checked_at"] == "2026-12-07T02:59:00+00:00"
        assert nightly["interval_s"] == 5.0
        assert nightly["catch_up"] == "once"
        assert nightly["watches"] == {
            "datasets": ["sensors"], "monitors": [], "aliases": ["churn@production"]
        }  # fmt: skip
        assert nightly["reference"] == FLOW
        assert nightly["problem"] is None
        # No cron in the config: the pipeline's own, found by importing it.
        assert seen["own"]["schedule"] == "*/15 * * * *"
        assert seen["own"]["next_tick"] == "2026-12-07T03:00:00+00:00"

        clock.at = datetime(2026, 12, 7, 3, 0, 20, tzinfo=UTC)
        [run_id] = [r for r in scheduler.tick() if ctx.tracking.get_run(r).run.tags.get(
            "shipyard.pipeline.trigger", "").startswith("schedule 0 3")]  # fmt: skip
        nightly = _by_name(ctx)["nightly"]
        assert nightly["next_tick"] == "2026-12-08T03:00:00+00:00"
        newest = nightly["triggers"][0]
        assert (newest["source"], newest["state"]) == ("schedule", "started")
        assert newest["run_id"] == run_id
        assert newest["point"] == "2026-12-07T03:00:00+00:00"
        assert nightly["triggers"][-1]["reason"] == "schedule started"


def test_a_pipeline_taken_out_of_the_config_is_no_longer_listed(workspace: Path) -> None:
    config = workspace / ".shipyard" / "config.toml"
    before = config.read_text()
    b = f'[pipelines.b]\npipeline = "{FLOW}"\nschedule = "0 4 * * *"\n'
    _configure(workspace, f'[pipelines.a]\npipeline = "{FLOW}"\nschedule = "0 3 * * *"\n{b}')
    clock = Clock(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    with open_context() as ctx:
        Scheduler(ctx, now=clock).tick()
        assert sorted(_by_name(ctx)) == ["a", "b"]
    config.write_text(before + "\n" + b)
    with open_context() as ctx:
        Scheduler(ctx, now=clock).tick()
        assert sorted(_by_name(ctx)) == ["b"]
        assert _by_name(ctx)["b"]["interval_s"] is None  # a one-off pass (cron runs it)


def test_a_cron_that_does_not_parse_is_reported_and_the_other_pipelines_still_run(
    workspace: Path,
) -> None:
    # Five fields pass the config check; croniter refuses the 99th minute. The pass used to
    # die on it, so no pipeline of the project ran.
    missing = '[pipelines.missing]\npipeline = "tests.pipelines.nowhere:x"\n'
    _configure(workspace, f'[pipelines.broken]\npipeline = "{FLOW}"\nschedule = "99 * * * *"\n'
                          f'[pipelines.fine]\npipeline = "{FLOW}"\nschedule = "0 3 * * *"\n'
                          + missing)  # fmt: skip
    clock = Clock(datetime(2026, 12, 7, 2, 59, tzinfo=UTC))
    with open_context() as ctx:
        scheduler = Scheduler(ctx, now=clock)
        scheduler.tick()
        clock.at = datetime(2026, 12, 7, 3, 0, 10, tzinfo=UTC)
        assert len(scheduler.tick()) == 1
        seen = _by_name(ctx)
        assert seen["broken"]["schedule"] is None
        assert "'99 * * * *' is not a valid cron expression" in seen["broken"]["problem"]
        assert seen["broken"]["next_tick"] is None
        assert "tests.pipelines.nowhere" in seen["missing"]["problem"]
        assert seen["fine"]["triggers"][0]["state"] == "started"


@pytest.fixture
def server(
    database: Database, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, str], Context]]:
    ctx = server_context(database, objects=tmp_path / "objects", **{"project.name": "churn"})
    auth = AuthService(ctx.db)
    auth.add_user(LOCAL_OWNER, "vic", role=Role.VIEWER, project="churn")
    auth.add_user(LOCAL_OWNER, "out", role=Role.VIEWER, project="other")
    tokens = {u: auth.create_token(LOCAL_OWNER, name="t", user=u).secret for u in ("vic", "out")}
    with TestClient(create_app(ctx)) as client:
        yield client, {u: f"Bearer {t}" for u, t in tokens.items()}, ctx
    ctx.close()


def _publish(ctx: Context, project: str, name: str) -> None:
    from shipyard.core.pipeline_config import PipelineConfig
    from shipyard.pipelines.schedules import Plan, publish

    plan = Plan(PipelineConfig(name, FLOW, "0 3 * * *"), "0 3 * * *", None,
                datetime(2026, 12, 8, 3, tzinfo=UTC))  # fmt: skip
    publish(ctx.for_project(project), [plan], now=datetime(2026, 12, 7, tzinfo=UTC),
            interval_s=5.0)  # fmt: skip


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_route_shows_a_projects_schedules_to_its_viewers_only(
    server: tuple[TestClient, dict[str, str], Context],
) -> None:
    http, tokens, ctx = server
    _publish(ctx, "churn", "nightly")
    _publish(ctx, "other", "secret-one")
    path = "/api/v1/projects/churn/pipelines/schedules"
    answer = http.get(path, headers={"Authorization": tokens["vic"]})
    assert answer.status_code == 200, answer.text
    [nightly] = answer.json()["schedules"]
    assert nightly["pipeline"] == "nightly"
    assert nightly["next_tick"] == "2026-12-08T03:00:00+00:00"
    refused = http.get(path, headers={"Authorization": tokens["out"]})
    assert refused.status_code == 403
    assert "secret-one" not in refused.text
    bad = http.get("/api/v1/projects/..%2Fx/pipelines/schedules",
                   headers={"Authorization": tokens["vic"]})  # fmt: skip
    assert bad.status_code in (404, 422)
