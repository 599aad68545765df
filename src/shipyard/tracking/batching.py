"""The background logger: buffers metrics, params and tags, writes them in batches.

``log_metric`` in a training loop only appends a tuple to a list (about a
microsecond). A daemon thread writes what has gathered every
:data:`FLUSH_INTERVAL_S` (sooner when :data:`FLUSH_AT` values wait), one
transaction per flush, and sends the heartbeats of the runs this process owns.
Ending a run writes its last values in the same transaction as its end;
:func:`atexit` flushes whatever is left.

What a flush cannot write because of the user's input (a param changed by
another process, a run ended elsewhere) is dropped and the error is raised by
the next call of the SDK (:meth:`BatchLogger.raise_error`). If the store is
unreachable, the values stay buffered and the flush is retried.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from shipyard.core.errors import ShipyardError, Unavailable
from shipyard.tracking.backend import TrackingBackend
from shipyard.tracking.entities import LogBatch, MetricRow, ParamRow, Resources, TagRow, Writer
from shipyard.tracking.liveness import HEARTBEAT_INTERVAL_S

__all__ = ["FLUSH_AT", "FLUSH_INTERVAL_S", "MAX_PENDING", "BatchLogger"]

FLUSH_INTERVAL_S = 0.5
FLUSH_AT = 20_000
"""Values waiting that wake the writer before its interval."""
MAX_PENDING = 1_000_000
"""Values waiting beyond which the logging call writes them itself (bounded memory)."""


class BatchLogger:
    """Buffers of one process for one backend, and the thread that drains them."""

    def __init__(
        self,
        backend: TrackingBackend,
        writer: Writer,
        *,
        interval: float = FLUSH_INTERVAL_S,
        heartbeat_interval: float = HEARTBEAT_INTERVAL_S,
    ) -> None:
        self.backend = backend
        self.writer = writer
        self.interval = interval
        self.heartbeat_interval = heartbeat_interval
        self.error: ShipyardError | None = None
        self._metrics: list[MetricRow] = []
        self._params: list[ParamRow] = []
        self._tags: list[TagRow] = []
        self._lock = threading.Lock()  # guards the buffers
        self._flush_lock = threading.Lock()  # one flush at a time, in order
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

    def put_back(self, batch: LogBatch) -> None:
        """Return an unwritten batch to the front of the buffers (store unreachable)."""
        with self._lock:
            self._metrics[:0] = batch.metrics
            self._params[:0] = batch.params
            self._tags[:0] = batch.tags

    def flush(self) -> None:
        """Write everything buffered now, in this thread; raises what the write raises."""
        with self._flush_lock:
            batch = self.take()
            if not batch:
                return
            try:
                self.backend.log_batch(batch, self.writer)
            except Unavailable:
                self.put_back(batch)
                raise

    def end_run(self, run_id: str, finish: Callable[[LogBatch], None]) -> None:
        """Run ``finish`` with the run's last values, in flush order."""
        with self._flush_lock:
            batch = self.take(run_id)
            try:
                finish(batch)
            except Unavailable:
                self.put_back(batch)
                raise
            finally:
                self.unwatch(run_id)

    def close(self) -> None:
        """Flush what is left and stop the thread."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
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
            self.flush()
        except Unavailable:
            pass  # kept buffered; the next round retries
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
