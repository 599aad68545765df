"""Scheduling monitors: interval and cron times, the loop, one pass for cron jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shipyard.context import Context
from shipyard.core.errors import ConfigError
from shipyard.core.monitors import MonitorConfig
from shipyard.monitoring.live.results_store import history
from shipyard.monitoring.live.schedule import (
    Outcome,
    Scheduler,
    check_schedule,
    interval_seconds,
    next_time,
    pick,
)

AT = datetime(2026, 3, 1, 12, 7, 30, tzinfo=UTC)


def test_next_times_follow_the_interval_or_the_cron_expression() -> None:
    hourly = MonitorConfig(name="a", model="m", interval=timedelta(hours=1))
    assert next_time(hourly, AT) == AT + timedelta(hours=1)
    assert interval_seconds(hourly, AT) == 3600
    quarter = MonitorConfig(name="b", model="m", cron="*/15 * * * *")
    assert next_time(quarter, AT) == datetime(2026, 3, 1, 12, 15, tzinfo=UTC)
    assert interval_seconds(quarter, AT) == 900
    nightly = MonitorConfig(name="c", model="m", cron="0 3 * * *")
    assert next_time(nightly, AT) == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_a_monitor_without_a_usable_schedule_is_refused() -> None:
    with pytest.raises(ConfigError, match="no schedule"):
        check_schedule(MonitorConfig(name="a", model="m"))
    with pytest.raises(ConfigError, match="not valid"):
        check_schedule(MonitorConfig(name="a", model="m", cron="61 * * * *"))
    with pytest.raises(ConfigError, match="no monitors are configured"):
        pick({}, [])
    with pytest.raises(ConfigError, match="no monitor named nope"):
        pick({"a": MonitorConfig(name="a", model="m")}, ["nope"])


def test_the_loop_runs_due_monitors_and_goes_on_after_a_failure(ctx: Context) -> None:
    clock = [AT]
    good = MonitorConfig(name="good", model="churn", interval=timedelta(minutes=10))
    broken = MonitorConfig(
        name="broken", model="churn", interval=timedelta(minutes=10), reference="missing.csv"
    )
    seen: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        seen.append(outcome)
        clock[0] += timedelta(minutes=1)  # each run "takes" a minute of the fake clock

    def sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    scheduler = Scheduler(ctx, [good, broken], report=report, clock=lambda: clock[0], sleep=sleep)
    assert scheduler.run_forever(max_runs=4) == 4
    assert [o.monitor for o in seen] == ["good", "broken", "good", "broken"]
    assert all(o.run is not None for o in seen if o.monitor == "good")
    assert all(o.error and "missing.csv" in o.error for o in seen if o.monitor == "broken")
    assert [r.window_end for r in history(ctx, "good")] == [AT, AT + timedelta(minutes=10)]
    assert history(ctx, "good")[0].interval_s == 600


def test_stop_ends_the_loop(ctx: Context) -> None:
    config = MonitorConfig(name="good", model="churn", interval=timedelta(hours=1))
    scheduler = Scheduler(ctx, [config], report=lambda _o: scheduler.stop())
    assert scheduler.run_forever() == 1


def test_run_once_runs_every_monitor_now(ctx: Context, workspace: Path) -> None:
    configs = [MonitorConfig(name=n, model="churn", cron="0 0 1 1 *") for n in ("first", "second")]
    outcomes = Scheduler(ctx, configs).run_once()
    assert [(o.monitor, o.error) for o in outcomes] == [("first", None), ("second", None)]
    assert outcomes[0].run is not None
    assert outcomes[0].run.result.status == "no_data"
