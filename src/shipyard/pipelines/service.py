"""The scheduler's loop: hold the lock or stand by, pass, wait, until stopped."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

from shipyard.cli.console import console, warn
from shipyard.core.errors import ShipyardError
from shipyard.pipelines.lock import SchedulerLock
from shipyard.pipelines.scheduler import Scheduler

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["serve_scheduler"]

log = logging.getLogger("shipyard.pipelines")


def serve_scheduler(
    ctx: Context,
    *,
    once: bool,
    interval: float,
    stop: threading.Event | None = None,
    on_pass: Callable[[list[str]], None] | None = None,
) -> None:
    """Run passes every ``interval`` s while this process holds the scheduler lock."""
    stop = stop or _stop_on_signals()
    lock = SchedulerLock(ctx)
    scheduler = Scheduler(ctx, interval_s=None if once else interval)
    standing_by = False
    try:
        while True:
            if lock.acquire():
                if standing_by:
                    console.print("scheduler: took over the lock")
                standing_by = False
                try:
                    started = scheduler.tick()
                except ShipyardError as error:  # the store is down: say so, try again later
                    warn(f"scheduler pass failed: {error}")
                    started = []
                for run_id in started:
                    console.print(f"scheduler: started pipeline run {run_id}")
                if on_pass is not None:
                    on_pass(started)
            elif not standing_by:
                standing_by = True
                console.print("scheduler: another scheduler holds the lock; standing by")
            if once or stop.wait(interval):
                return
    finally:
        lock.release()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
    return stop
