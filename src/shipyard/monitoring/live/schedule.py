"""Running monitors periodically: a foreground loop, or once per call (for cron).

Each monitor runs on its ``interval`` (the first run at start) or its
``cron`` expression (croniter, 5 fields, UTC). The loop is meant to be a
systemd service or a Kubernetes Deployment; ``run_once`` is one pass for
a Kubernetes CronJob or crontab. A monitor that fails (its reference
missing, the store down) is reported and retried at its next time; the loop
goes on. :meth:`Scheduler.stop` (SIGTERM, SIGINT) ends it after the run in
progress.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shipyard.core.errors import ConfigError, ShipyardError
from shipyard.core.monitors import MonitorConfig

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.monitoring.live.service import MonitorRun

__all__ = ["Outcome", "Scheduler", "check_schedule", "interval_seconds", "next_time", "pick"]

log = logging.getLogger("shipyard.monitoring")


def check_schedule(config: MonitorConfig) -> None:
    """:class:`ConfigError` unless the monitor has a usable interval or cron expression."""
    from croniter import croniter

    if config.cron is not None:
        if not croniter.is_valid(config.cron):
            raise ConfigError(f"monitor {config.name}: cron {config.cron!r} is not valid")
    elif config.interval is None:
        raise ConfigError(
            f"monitor {config.name} has no schedule",
            hint=f'add interval = "1h" or cron = "0 * * * *" to [monitors.{config.name}]',
        )


def next_time(config: MonitorConfig, after: datetime) -> datetime:
    """When the monitor is next due after ``after`` (UTC)."""
    if config.cron is not None:
        from croniter import croniter

        due: datetime = croniter(config.cron, after.astimezone(UTC)).get_next(datetime)
        return due.astimezone(UTC)
    if config.interval is None:
        raise ConfigError(f"monitor {config.name} has no schedule")
    return after + config.interval


def interval_seconds(config: MonitorConfig, at: datetime) -> float | None:
    """How long between two runs (for the staleness alert); the cron gap after ``at``."""
    if config.interval is not None:
        return config.interval.total_seconds()
    if config.cron is not None:
        first = next_time(config, at)
        return (next_time(config, first) - first).total_seconds()
    return None


@dataclass(frozen=True)
class Outcome:
    monitor: str
    run: MonitorRun | None
    error: str | None = None


class Scheduler:
    def __init__(
        self,
        ctx: Context,
        configs: Sequence[MonitorConfig],
        *,
        report: Callable[[Outcome], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        for config in configs:
            check_schedule(config)
        self.ctx = ctx
        self.configs = list(configs)
        self.report = report or (lambda _outcome: None)
        self.clock = clock
        self._stop = threading.Event()
        self._sleep = sleep or (lambda seconds: self._stop.wait(seconds) and None)

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run_one(self, config: MonitorConfig) -> Outcome:
        now = self.clock()
        try:
            run = self.ctx.monitoring.run(config, now=now, interval_s=interval_seconds(config, now))
            outcome = Outcome(config.name, run)
        except ShipyardError as exc:
            outcome = Outcome(config.name, None, exc.one_line())
        except Exception as exc:  # one broken monitor must not stop the others
            log.exception("monitor %s failed", config.name)
            outcome = Outcome(config.name, None, f"{type(exc).__name__}: {exc}")
        self.report(outcome)
        return outcome

    def run_once(self) -> list[Outcome]:
        """Every monitor once, now (``shipyard monitor schedule --once``)."""
        outcomes = []
        for config in self.configs:
            if self.stopped:
                break
            outcomes.append(self.run_one(config))
        return outcomes

    def run_forever(self, *, max_runs: int | None = None) -> int:
        """Run monitors when due until stopped (or ``max_runs`` runs); returns the runs made."""
        start = self.clock()
        due = {c.name: (start if c.cron is None else next_time(c, start)) for c in self.configs}
        runs = 0
        while not self.stopped:
            now = self.clock()
            for config in self.configs:
                if self.stopped or (max_runs is not None and runs >= max_runs):
                    break
                if due[config.name] <= now:
                    self.run_one(config)
                    runs += 1
                    # at a fixed rate; a run that took longer than the interval skips ahead
                    following = next_time(config, due[config.name])
                    finished = self.clock()
                    due[config.name] = (
                        following if following > finished else next_time(config, finished)
                    )
            if max_runs is not None and runs >= max_runs:
                break
            wait = min(due.values()) - self.clock()
            if wait.total_seconds() > 0 and not self.stopped:
                self._sleep(min(wait.total_seconds(), 60.0))
        return runs


def pick(configs: dict[str, MonitorConfig], names: Sequence[str]) -> list[MonitorConfig]:
    """The named monitors (all when none are named); :class:`ConfigError` for unknown ones."""
    if not configs:
        raise ConfigError(
            "no monitors are configured",
            hint="add a [monitors.NAME] table to .shipyard/config.toml (docs/monitoring.md)",
        )
    if not names:
        return list(configs.values())
    unknown = [n for n in names if n not in configs]
    if unknown:
        raise ConfigError(
            f"no monitor named {', '.join(unknown)}",
            hint=f"configured: {', '.join(sorted(configs))}",
        )
    return [configs[n] for n in names]
