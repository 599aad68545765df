"""The background logger: buffers metrics, params and tags, writes them in batches.

``log_metric`` in a training loop only appends a tuple to a list (about a
microsecond). A daemon thread writes what has gathered every
:data:`FLUSH_INTERVAL_S` (sooner when :data:`FLUSH_AT` values wait), and sends
the heartbeats of the runs this process owns. Ending a run writes its last
values in the same transaction as its end (:mod:`shipyard.tracking.ending`).

Exactly once: a flush turns what it takes from the buffers into one batch per
run, each with an ``Idempotency-Key`` of its own, and keeps the batches, in
order, until the store confirms them. A batch whose fate is unknown (the store
unreachable even after the client's retries) is sent again, with the same key,
before anything newer; it is never rebuilt under a new key, so a batch that did
arrive is not written twice. A batch the store refuses for good (a param
changed by another process, a run ended elsewhere) is set aside for the run's
end to report and spool, and its error is raised by the next call of the SDK
(:meth:`BatchLogger.raise_error`).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from shipyard.core.errors import RateLimited, ShipyardError, Unavailable
from shipyard.tracking.backend import TrackingBackend
from shipyard.tracking.entities import LogBatch, MetricRow, ParamRow, Resources, TagRow, Writer
from shipyard.tracking.liveness import HEARTBEAT_INTERVAL_S

__all__ = [
    "FLUSH_AT",
    "FLUSH_INTERVAL_S",
    "MAX_PENDING",
    "RETRY_LATER",
    "BatchLogger",
    "Pending",
    "new_key",
]

FLUSH_INTERVAL_S = 0.5
FLUSH_AT = 20_000
"""Values waiting that wake the writer before its interval."""
MAX_PENDING = 1_000_000
"""Values waiting beyond which the logging call writes them itself (bounded memory)."""
BACKGROUND_PATIENCE_S = 10.0
"""How long a background flush retries a batch before leaving it to the next round
(so that ending a run never waits behind a long background retry)."""
RETRY_LATER: tuple[type[ShipyardError], ...] = (Unavailable, RateLimited)
"""Errors after which a batch's fate is unknown: it is kept and sent again, same key."""


def new_key() -> str:
    return uuid.uuid4().hex


@dataclass
class Pending:
    """A batch of one run taken from the buffers, with the key it is always sent with."""

    run_id: str
    key: str
    batch: LogBatch
    error: ShipyardError | None = None
    """Why the store refused it for good (None: not refused)."""


class BatchLogger:
    """Buffers of one process for one backend, and the thread that drains them."""

    def __init__(
        self,
        backend: TrackingBackend,
        writer: Writer,
        *,
        interval: float = FLUSH_INTERVAL_S,
        heartbeat_interval: float = HEARTBEAT_INTERVAL_S,
        deadline_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.writer = writer
        self.interval = interval
        self.heartbeat_interval = heartbeat_interval
        self.deadline_s = deadline_s
        """How long a flush or an end keeps trying (``client.retry_deadline_s``)."""
        self.clock = clock
        self.error: ShipyardError | None = None
        self._metrics: list[MetricRow] = []
        self._params: list[ParamRow] = []
        self._tags: list[TagRow] = []
        self._pending: deque[Pending] = deque()  # taken, keyed, not yet confirmed
        self._refused: list[Pending] = []  # refused for good, until their run ends
        self._lock = threading.Lock()  # guards the buffers
        self.sending = threading.Lock()
        """Held while batches are sent: one flush at a time, in order."""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._meters: dict[str, Callable[[], Resources]] = {}
        self._last_beat = time.monotonic()

    # -- buffering (any thread) ----------------------------------------------

    def metric(self, row: MetricRow) -> None:
        with self._lock:
            self._metrics.append(row)
            waiting = len(self._metrics)
        if waiting >= FLUSH_AT:
            self._pressure(waiting)

    def metrics(self, rows: list[MetricRow]) -> None:
        with self._lock:
            self._metrics.extend(rows)
            waiting = len(self._metrics)
        if waiting >= FLUSH_AT:
            self._pressure(waiting)

    def params(self, rows: list[ParamRow]) -> None:
        with self._lock:
            self._params.extend(rows)
        self._ensure_thread()

    def tags(self, rows: list[TagRow]) -> None:
        with self._lock:
            self._tags.extend(rows)
        self._ensure_thread()

    def _pressure(self, waiting: int) -> None:
        if waiting >= MAX_PENDING:
            self.flush()
        else:
            self._ensure_thread()
            self._wake.set()

    def raise_error(self) -> None:
        """Raise (once) the error of a background flush that dropped values."""
        error, self.error = self.error, None
        if error is not None:
            raise error

    # -- runs this process owns (heartbeats) -----------------------------------

    def watch(self, run_id: str, meter: Callable[[], Resources]) -> None:
        self._meters[run_id] = meter
        self._ensure_thread()

    def unwatch(self, run_id: str) -> None:
        self._meters.pop(run_id, None)

    # -- writing -----------------------------------------------------------------

    def take(self, run_id: str | None = None) -> LogBatch:
        """Remove and return what waits (for one run, or for all)."""
        with self._lock:
            if run_id is None:
                batch = LogBatch(self._metrics, self._params, self._tags)
                self._metrics, self._params, self._tags = [], [], []
                return batch
            batch = LogBatch(
                [r for r in self._metrics if r[0] == run_id],
                [r for r in self._params if r[0] == run_id],
                [r for r in self._tags if r[0] == run_id],
            )
            if batch:
                self._metrics = [r for r in self._metrics if r[0] != run_id]
                self._params = [r for r in self._params if r[0] != run_id]
                self._tags = [r for r in self._tags if r[0] != run_id]
            return batch

    def queue(self, batch: LogBatch) -> None:
        """Key ``batch``, one batch per run, behind the batches kept (``sending`` held)."""
        ids = batch.run_ids()
        if len(ids) == 1:
            self._pending.append(Pending(ids.pop(), new_key(), batch))
            return
        parts: dict[str, LogBatch] = {}
        for row in batch.metrics:
            parts.setdefault(row[0], LogBatch()).metrics.append(row)
        for param in batch.params:
            parts.setdefault(param[0], LogBatch()).params.append(param)
        for tag in batch.tags:
            parts.setdefault(tag[0], LogBatch()).tags.append(tag)
        self._pending.extend(Pending(run_id, new_key(), part) for run_id, part in parts.items())

    def send_pending(self, deadline: float) -> list[Pending]:
        """Send the kept batches, oldest first (``sending`` held); returns those refused now.

        Raises one of :data:`RETRY_LATER` when a batch's fate stays unknown at
        ``deadline`` (a :attr:`clock` time): it and the batches after it stay kept.
        """
        refused = []
        while self._pending:
            item = self._pending[0]
            patience = max(0.0, deadline - self.clock())
            try:
                self.backend.log_batch(item.batch, self.writer, key=item.key, patience=patience)
            except RETRY_LATER:
                raise
            except ShipyardError as exc:  # refused for good: set aside for its run's end
                item.error = exc
                self._refused.append(item)
                refused.append(item)
            self._pending.popleft()
        return refused

    def withdraw(self, run_id: str | None = None) -> tuple[list[Pending], list[Pending]]:
        """Remove and return a run's (or every run's) kept and refused batches (``sending``
        held): the ones whose fate is unknown, and the ones refused for good."""

        def theirs(item: Pending) -> bool:
            return run_id is None or item.run_id == run_id

        unknown = [p for p in self._pending if theirs(p)]
        refused = [p for p in self._refused if theirs(p)]
        if unknown:
            self._pending = deque(p for p in self._pending if not theirs(p))
        if refused:
            self._refused = [p for p in self._refused if not theirs(p)]
        return unknown, refused

    def flush(self, patience: float | None = None) -> None:
        """Write everything buffered now, in this thread, batches kept from before first.

        Keeps trying for ``patience`` seconds (default :attr:`deadline_s`). Raises
        one of :data:`RETRY_LATER` (the batches stay kept, with their keys), or the
        first refusal once the other batches are written.
        """
        deadline = self.clock() + (self.deadline_s if patience is None else patience)
        with self.sending:
            refused = self.send_pending(deadline)
            batch = self.take()
            if batch:
                self.queue(batch)
                refused += self.send_pending(deadline)
        if refused and refused[0].error is not None:
            raise refused[0].error

    def close(self) -> None:
        """Stop the thread and flush what is left (the caller spools what stays unconfirmed)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.deadline_s + 30)
        self.flush()

    # -- the background thread ---------------------------------------------------

    def start(self) -> None:
        """Start the background thread if it is not running."""
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._stop.clear()
                    self._thread = threading.Thread(
                        target=self._loop, name="shipyard-tracking", daemon=True
                    )
                    self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            self._background_flush()
            if time.monotonic() - self._last_beat >= self.heartbeat_interval:
                self._beat()

    def _background_flush(self) -> None:
        try:
            self.flush(min(BACKGROUND_PATIENCE_S, self.deadline_s))
        except RETRY_LATER:
            pass  # kept, with their keys; the next round sends them again
        except ShipyardError as exc:
            self.error = exc
        except Exception as exc:  # a bug must not kill the thread silently
            self.error = Unavailable(f"the background logger failed: {type(exc).__name__}: {exc}")

    def _beat(self) -> None:
        self._last_beat = time.monotonic()
        usage = {run_id: meter() for run_id, meter in list(self._meters.items())}
        if not usage:
            return
        # A missed heartbeat is retried next interval; liveness tolerates gaps.
        with contextlib.suppress(ShipyardError):
            self.backend.heartbeat(usage, self.writer)
