"""The team server's periodic checkpoint writer: a daemon thread in each worker.

It writes at start-up and then every ``audit.checkpoint_interval`` (default 5
minutes), only when the chain has moved. Each worker of each replica runs one;
a writer that finds a valid checkpoint of the current head adopts it instead of
writing another, and two written at the same instant are both valid. A failure
(store down, a log that no longer extends the last checkpoint) is logged in one
line and tried again at the next tick; the thread never dies of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from shipyard.audit.writer import CheckpointWriter, WriteResult
from shipyard.core.errors import ShipyardError

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["CheckpointSchedule", "start_checkpoints"]

log = logging.getLogger("shipyard.audit")


class CheckpointSchedule:
    """Calls ``writer.write()`` now and then every ``interval`` seconds until stopped.

    ``wait(seconds)`` returns True when it is time to stop (default: the stop
    event's wait); tests pass their own to run ticks without waiting.
    """

    def __init__(
        self,
        writer: CheckpointWriter,
        interval: float,
        *,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.writer = writer
        self.interval = interval
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._thread: threading.Thread | None = None
        self.ticked = threading.Event()
        """Set after each tick (written, unchanged or failed)."""
        self.last: WriteResult | None = None
        self.last_error: str | None = None

    def tick(self) -> WriteResult | None:
        try:
            result = self.writer.write()
        except ShipyardError as exc:
            self.last_error = exc.one_line()
            log.error("audit checkpoint not written: %s", self.last_error)
            return None
        except Exception:  # a bug: log it whole, keep the schedule alive
            self.last_error = "unexpected error"
            log.exception("audit checkpoint not written")
            return None
        finally:
            self.ticked.set()
        self.last, self.last_error = result, None
        if result.written is not None:
            point = result.written.checkpoint
            log.info("audit checkpoint of entry #%d written to %s", point.seq, result.key)
        return result

    def run(self) -> None:
        self.tick()
        while not self._wait(self.interval):
            self.tick()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="audit-checkpoints", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the tick in progress (a daemon thread: a hung store cannot hold exit)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def start_checkpoints(ctx: Context) -> CheckpointSchedule | None:
    """Start the periodic writer if ``audit.checkpoint_key`` is set and the interval is not 0.

    Raises :class:`ConfigError` for a bad key at once, so a server does not run
    believing it checkpoints when it cannot.
    """
    from shipyard.audit.setup import checkpoint_writer, interval_seconds

    interval = interval_seconds(ctx.settings)
    if not ctx.settings.audit.checkpoint_key or interval <= 0:
        return None
    schedule = CheckpointSchedule(checkpoint_writer(ctx), interval)
    schedule.start()
    return schedule
