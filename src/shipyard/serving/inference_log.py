"""The sampled inference log: a bounded queue in front of a background writer thread.

Requests never wait for the log. A sampled request puts one tuple (its checked
inputs and outputs, as they are: no conversion on the request path) into a
bounded queue with ``put_nowait``; when the queue is full the record is
dropped and counted (``shipyard_serving_inference_log_drops_total``). A writer
thread groups records by model, version and kind and writes a Parquet batch
(:mod:`shipyard.serving.log_store`) every ``flush_s`` seconds or every
``batch_rows`` rows, whichever comes first, and on shutdown. A batch that
cannot be written is dropped and counted, never retried forever.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from shipyard.serving.inputs import Inputs
from shipyard.serving.log_store import FEEDBACK, PREDICTIONS, prediction_columns
from shipyard.serving.metrics import ServingMetrics

__all__ = ["InferenceLog", "Writer"]

log = logging.getLogger("shipyard.serving")

Writer = Callable[[str, str, str, dict[str, list[Any]]], object]
"""``write(model, version, kind, columns)``: store one batch (``log_store.write_batch``)."""

_STOP = object()
_TICK = object()


class InferenceLog:
    def __init__(
        self,
        writer: Writer,
        metrics: ServingMetrics,
        *,
        rate: float,
        queue_size: int = 10_000,
        batch_rows: int = 5_000,
        flush_s: float = 10.0,
    ) -> None:
        self.rate = rate
        self._writer = writer
        self.metrics = metrics
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self.batch_rows = batch_rows
        self.flush_s = flush_s
        self._thread: threading.Thread | None = None
        self._random = random.Random()  # noqa: S311  (sampling, not secrets)
        self.dropped = 0
        self.written = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    # the request side: cheap, never blocks -------------------------------------------

    def sampled(self) -> bool:
        rate = self.rate
        return rate >= 1.0 or (rate > 0.0 and self._random.random() < rate)

    def offer_prediction(
        self,
        request_id: str,
        model: str,
        version: str,
        variant: str,
        inputs: Inputs,
        columns: list[str] | None,
        outputs: Any,
    ) -> bool:
        when = datetime.now(UTC)
        item = (PREDICTIONS, model, version, (request_id, when, variant, inputs, columns, outputs))
        return self._offer(item)

    def offer_feedback(self, model: str, columns: dict[str, list[Any]]) -> bool:
        return self._offer((FEEDBACK, model, "-", columns))

    def _offer(self, item: Any) -> bool:
        self._ensure_started()
        self._idle.clear()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._drop("queue_full", 1)
            return False
        return True

    def _drop(self, reason: str, count: int) -> None:
        with self._lock:
            self.dropped += count
        self.metrics.log_drops.labels(reason).inc(count)

    # the writer thread ---------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="shipyard-inference-log", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        pending: dict[tuple[str, str, str], list[Any]] = {}
        rows = 0
        last_flush = time.monotonic()
        while True:
            timeout = max(0.01, self.flush_s - (time.monotonic() - last_flush))
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is _TICK:
                item = None
            elif item is _STOP:
                self._flush(pending)
                return
            if item is not None:
                kind, model, version, payload = item
                pending.setdefault((kind, model, version), []).append(payload)
                rows += 1
            due = time.monotonic() - last_flush >= self.flush_s
            if pending and (due or rows >= self.batch_rows):
                self._flush(pending)
                pending, rows, last_flush = {}, 0, time.monotonic()
            elif due:
                last_flush = time.monotonic()
            if not pending and self._queue.empty():
                self._idle.set()

    def _flush(self, pending: dict[tuple[str, str, str], list[Any]]) -> None:
        for (kind, model, version), payloads in pending.items():
            try:
                columns = _columns(kind, version, payloads)
                count = len(columns["_request_id"])
                self._writer(model, version, kind, columns)
            except Exception as exc:  # the log must never take the server down
                log.warning("inference log: dropped %d %s records of %s: %s",
                            len(payloads), kind, model, exc)  # fmt: skip
                self._drop("write_failed", len(payloads))
                continue
            with self._lock:
                self.written += count
            self.metrics.log_records.labels(kind).inc(count)

    def flush(self, timeout: float = 10.0) -> bool:
        """Write what is queued now (for tests and shutdown); False if it took too long."""
        if self._thread is None:
            return True
        deadline = time.monotonic() + timeout
        saved, self.flush_s = self.flush_s, 0.01
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_TICK)  # wake the writer from its wait
        try:
            while time.monotonic() < deadline:
                if self._queue.empty() and self._idle.wait(0.05):
                    return True
            return False
        finally:
            self.flush_s = saved

    def close(self, timeout: float = 10.0) -> None:
        thread = self._thread
        if thread is None:
            return
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        thread.join(timeout)


def _columns(kind: str, version: str, payloads: list[Any]) -> dict[str, list[Any]]:
    if kind == FEEDBACK:
        merged: dict[str, list[Any]] = {}
        for columns in payloads:
            for name, values in columns.items():
                merged.setdefault(name, []).extend(values)
        return merged
    records = []
    for request_id, when, variant, inputs, names, outputs in payloads:
        records.append(
            (request_id, inputs.rows, when, version, variant, inputs.records(names), outputs)
        )
    return prediction_columns(records)
