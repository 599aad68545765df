"""``shipyard scheduler``: cron ticks, catch-up, triggers, one acting scheduler, no lost runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import blake3
import pytest
from typer.testing import Result

from shipyard.context import Context, open_context
from shipyard.core.digest import Digest
from shipyard.core.errors import ConfigError
from shipyard.data.records import NewVersion
from shipyard.pipelines import run_pipeline
from shipyard.pipelines.lock import SchedulerLock
from shipyard.pipelines.scheduler import Scheduler
from shipyard.pipelines.tables import PipelineTriggerRow
from tests.pipelines.flows import arithmetic

FLOW = "tests.pipelines.flows:arithmetic"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def _configure(workspace: Path, body: str) -> None:
    config = workspace / ".shipyard" / "config.toml"
    config.write_text(config.read_text() + "\n" + body)


def _triggers(ctx: Context) -> list[tuple[str, str, str]]:
    from sqlalchemy import select

    with ctx.db.read() as session:
        rows = session.scalars(select(PipelineTriggerRow).order_by(PipelineTriggerRow.seq))
        return [(r.source, r.state, r.reason) for r in rows]


def test_a_cron_tick_starts_one_run_that_says_why(workspace: Path) -> None:
    _configure(workspace, f'[pipelines.nightly]\npipeline = "{FLOW}"\nschedule = "0 3 * * *"\n')
    clock = Clock(datetime(2026, 12, 7, 2, 59, tzinfo=UTC))
    with open_context() as ctx:
        scheduler = Scheduler(ctx, now=clock)
        assert scheduler.tick() == []  # begins from now: nothing from the past
        clock.at = datetime(2026, 12, 7, 3, 0, 20, tzinfo=UTC)
        [run_id] = scheduler.tick()
        assert scheduler.tick() == []  # that tick is claimed once
        run = ctx.tracking.get_run(run_id).run
        assert (
            run.tags["shipyard.pipeline.trigger"]
            == "schedule 0 3 * * * at 2026-12-07T03:00:00+00:00"
        )
        assert run.status.value == "finished"
        assert [t[:2] for t in _triggers(ctx)] == [("schedule", "seen"), ("schedule", "started")]


@pytest.mark.parametrize(("catch_up", "runs"), [("skip", 0), ("once", 1)])
def test_ticks_missed_while_down_are_skipped_or_run_once(
    workspace: Path, catch_up: str, runs: int
) -> None:
    _configure(workspace, f'[pipelines.nightly]\npipeline = "{FLOW}"\nschedule = "0 3 * * *"\n'
                          f'catch_up = "{catch_up}"\n')  # fmt: skip
    clock = Clock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    with open_context() as ctx:
        scheduler = Scheduler(ctx, now=clock)
        scheduler.tick()
        clock.at = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)  # down for 3 ticks
        assert len(scheduler.tick()) == runs
        states = [state for source, state, _ in _triggers(ctx)]
        assert states.count("seen") == 1 + 4 - runs
        assert states.count("started") == runs
        clock.at += timedelta(minutes=10)
        assert scheduler.tick() == []


def test_a_new_dataset_version_starts_a_run(workspace: Path) -> None:
    _configure(workspace, f'[pipelines.retrain]\npipeline = "{FLOW}"\non_dataset = ["sensors"]\n'
                          '[pipelines.retrain.params]\nn = 3\n')  # fmt: skip
    with open_context() as ctx:
        scheduler = Scheduler(ctx)
        assert scheduler.tick() == []  # no dataset yet
        _new_version(ctx, b"week 1")
        assert scheduler.tick() == []  # the version there when watching began
        _new_version(ctx, b"week 2")
        [run_id] = scheduler.tick()
        run = ctx.tracking.get_run(run_id).run
        assert run.tags["shipyard.pipeline.trigger"] == "dataset sensors has version 2"
        assert run.params["n"] == "3"
        assert scheduler.tick() == []


def _new_version(ctx: Context, content: bytes) -> None:
    digest = Digest(blake3.blake3(content).hexdigest())
    item = NewVersion(name="sensors", kind="file", digest=digest, size=len(content), files=1)
    ctx.open_datasets().register(ctx.principal, ctx.project, [item])


def test_a_scheduler_killed_after_starting_a_run_does_not_start_it_again(
    workspace: Path,
) -> None:
    _configure(workspace, f'[pipelines.nightly]\npipeline = "{FLOW}"\nschedule = "0 3 * * *"\n')
    clock = Clock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    with open_context() as ctx:
        calls: list[str] = []

        def dies_after_starting(config: object, reason: str, trigger_id: str) -> None:
            calls.append(trigger_id)
            run_pipeline(arithmetic, {"n": 2}, context=ctx, trigger=reason, trigger_id=trigger_id)
            raise KeyboardInterrupt  # killed before the claim is marked

        Scheduler(ctx, now=clock).tick()
        clock.at = datetime(2026, 12, 7, 3, 0, 5, tzinfo=UTC)
        with pytest.raises(KeyboardInterrupt):
            Scheduler(ctx, now=clock, run=dies_after_starting).tick()  # type: ignore[arg-type]
        assert _triggers(ctx)[-1][1] == "pending"
        clock.at += timedelta(seconds=30)
        assert Scheduler(ctx, now=clock).tick() == []  # the run exists: marked, not repeated
        assert _triggers(ctx)[-1][1] == "started"
        assert len(calls) == 1
        runs = ctx.tracking.search_runs(experiments=["arithmetic"], filter="parent_id is null")
        assert len(runs.runs) == 1


def test_a_claim_left_pending_before_its_run_started_runs_once(workspace: Path) -> None:
    _configure(workspace, f'[pipelines.nightly]\npipeline = "{FLOW}"\nschedule = "0 3 * * *"\n')
    clock = Clock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    with open_context() as ctx:

        def dies_before_starting(config: object, reason: str, trigger_id: str) -> None:
            raise KeyboardInterrupt

        Scheduler(ctx, now=clock).tick()
        clock.at = datetime(2026, 12, 7, 3, 0, 5, tzinfo=UTC)
        with pytest.raises(KeyboardInterrupt):
            Scheduler(ctx, now=clock, run=dies_before_starting).tick()  # type: ignore[arg-type]
        assert len(Scheduler(ctx, now=clock).tick()) == 1
        assert Scheduler(ctx, now=clock).tick() == []


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_one_scheduler_acts_at_a_time(
    workspace: Path, store: str, request: pytest.FixtureRequest
) -> None:
    flags = {}
    if store == "postgresql":
        from shipyard.store.db import Database
        from shipyard.store.migrate import upgrade

        url = request.getfixturevalue("empty_postgres_url")
        db = Database(url)
        upgrade(db)
        db.dispose()
        flags = {"store.uri": url}
    with open_context(flags=flags) as first_ctx, open_context(flags=flags) as second_ctx:
        first, second = SchedulerLock(first_ctx), SchedulerLock(second_ctx)
        assert first.acquire()
        assert not second.acquire()
        first.release()
        assert second.acquire()
        second.release()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[pipelines.x]\nschedule = "0 3 * * *"\n', 'needs pipeline = "MODULE:NAME"'),
        (f'[pipelines.x]\npipeline = "{FLOW}"\nschedule = "daily"\n', "needs 5 cron fields"),
        (f'[pipelines.x]\npipeline = "{FLOW}"\ncatch_up = "all"\n', "catch_up must be one of"),
        (f'[pipelines.x]\npipeline = "{FLOW}"\non_alias = ["churn"]\n', "is not MODEL@ALIAS"),
        (f'[pipelines.x]\npipeline = "{FLOW}"\nschedul = "0 3 * * *"\n', "unknown key 'schedul'"),
    ],
)
def test_bad_pipeline_tables_are_config_errors(workspace: Path, table: str, message: str) -> None:
    _configure(workspace, table)
    with pytest.raises(ConfigError, match=message):
        open_context()


def test_the_scheduler_command_needs_a_configured_pipeline(
    workspace: Path, cli: Callable[..., Result]
) -> None:
    result = cli("scheduler", "--once")
    assert result.exit_code == 2
    assert "no pipeline is configured" in result.stderr


def test_a_monitor_breach_starts_the_retraining_run(workspace: Path) -> None:
    from shipyard.monitoring.live.result import Breach, MonitorResult
    from shipyard.monitoring.live.results_store import save_result

    _configure(workspace, f'[pipelines.retrain]\npipeline = "{FLOW}"\non_monitor = ["churn"]\n')
    start = datetime(2026, 12, 7, tzinfo=UTC)

    def result(breaches: list[Breach]) -> MonitorResult:
        return MonitorResult("churn", "churn", start, start + timedelta(hours=1), 3600.0, 500,
                             breaches=breaches)  # fmt: skip

    with open_context() as ctx:
        scheduler = Scheduler(ctx)
        save_result(ctx, result([]), interval_s=None, notified=False)
        assert scheduler.tick() == []  # no breach, no run
        breach = save_result(ctx, result([Breach("drift", "3 of 5 features drifted")]),
                             interval_s=None, notified=True)  # fmt: skip
        [run_id] = scheduler.tick()
        why = ctx.tracking.get_run(run_id).run.tags["shipyard.pipeline.trigger"]
        assert why == f"monitor churn breached (result {breach.id})"
        save_result(ctx, result([]), interval_s=None, notified=False)
        assert scheduler.tick() == []  # the same breach starts one run


def test_an_alias_move_starts_a_run(workspace: Path) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from shipyard.models import register_model

    _configure(workspace, f'[pipelines.follow]\npipeline = "{FLOW}"\n'
                          'on_alias = ["churn@production"]\n')  # fmt: skip
    X = np.random.default_rng(3).normal(size=(40, 3))
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    with open_context() as ctx:
        for _ in range(2):
            register_model(model, "churn", input_example=X[:5], context=ctx)
        scheduler = Scheduler(ctx)
        assert scheduler.tick() == []  # no alias yet
        ctx.aliases.set_alias(ctx.principal, ctx.project, "churn", "production", 1)
        assert scheduler.tick() == []  # where it pointed when watching began
        ctx.aliases.set_alias(ctx.principal, ctx.project, "churn", "production", 2)
        [run_id] = scheduler.tick()
        why = ctx.tracking.get_run(run_id).run.tags["shipyard.pipeline.trigger"]
        assert why == "alias churn@production moved to version 2"


def test_a_failed_triggered_run_is_announced_on_its_webhooks(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict[str, object]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PIPELINE_HOOK", f"http://127.0.0.1:{server.server_port}/hook")
    table = (
        '[pipelines.broken]\npipeline = "tests.pipelines.flows:failing"\n'
        'on_dataset = ["sensors"]\nwebhooks = ["env:PIPELINE_HOOK"]\n'
    )
    _configure(workspace, table)
    try:
        with open_context() as ctx:
            scheduler = Scheduler(ctx)
            _new_version(ctx, b"week 1")
            scheduler.tick()
            _new_version(ctx, b"week 2")
            [run_id] = scheduler.tick()
    finally:
        server.shutdown()
        server.server_close()
    [message] = received
    assert message["run_id"] == run_id
    assert message["failed"] == {"broken": "step 'broken' failed: ValueError: no good: 1"}
    assert f"shipyard pipeline resume {run_id}" in str(message["text"])
