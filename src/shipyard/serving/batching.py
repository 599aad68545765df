"""Adaptive batching: concurrent requests to one model share one predict call.

Each request hands its checked :class:`~shipyard.serving.inputs.Inputs` to
:meth:`Batcher.submit` and awaits its own slice of the outputs. One worker task
per batcher takes whatever is queued (up to ``max_batch_size`` requests),
merges it, predicts once and splits the result by row counts, in order.

Why this costs nothing at low load: a lone request is taken as soon as the
worker runs (the next turn of the event loop), never held for a timer. Under
load, requests pile up while a predict call runs (fast models run inline, so
the event loop reads the next requests right after), and the next call takes
them all. ``max_wait_ms`` adds a short wait for more requests, but only while
the previous batch held more than one request (that is, under load).

A batch that fails is retried one request at a time, so one bad input fails
only its own request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shipyard.core.errors import ShipyardError, SignatureMismatch
from shipyard.serving.inputs import Inputs, merge
from shipyard.serving.options import BatchOptions

__all__ = ["Batcher", "split_rows"]

Predict = Callable[[Inputs], Any]


class Batcher:
    """Merges concurrent calls of one model and method; see the module docstring."""

    def __init__(
        self,
        predict: Predict,
        options: BatchOptions,
        *,
        inline: bool,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> None:
        self._predict = predict
        self.options = options
        self.inline = inline
        self._on_batch = on_batch
        self._queue: list[tuple[Inputs, asyncio.Future[Any]]] = []
        self._wakeup: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._last_batch = 1
        self._closed = False

    async def submit(self, inputs: Inputs) -> Any:
        """This request's outputs (rows in its own order); raises what predicting raised."""
        if self._closed:  # unloaded after this request picked the version: still answer
            return split_rows(await self._call(inputs), [inputs.rows])[0]
        loop = asyncio.get_running_loop()
        if self._worker is None or self._worker.done():
            self._wakeup = asyncio.Event()
            self._worker = loop.create_task(self._work())
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((inputs, future))
        assert self._wakeup is not None
        self._wakeup.set()
        return await future

    async def _work(self) -> None:
        assert self._wakeup is not None
        wakeup = self._wakeup
        max_size = self.options.max_batch_size
        max_wait = self.options.max_wait_ms / 1000
        while not self._closed:
            await wakeup.wait()
            wakeup.clear()
            while self._queue:
                if max_wait and self._last_batch > 1 and len(self._queue) < max_size:
                    await asyncio.sleep(max_wait)  # under load: let a few more join
                batch = self._queue[:max_size]
                del self._queue[:max_size]
                self._last_batch = len(batch)
                await self._run(batch)
                if self.inline:
                    await asyncio.sleep(0)  # let the loop read the requests that arrived

    async def _run(self, batch: list[tuple[Inputs, asyncio.Future[Any]]]) -> None:
        parts = [inputs for inputs, _ in batch]
        try:
            merged = merge(parts)
            outputs = await self._call(merged)
            pieces = split_rows(outputs, [p.rows for p in parts])
        except Exception as exc:
            if len(batch) == 1:
                _fail(batch[0][1], exc)
                return
            for inputs, future in batch:  # find the culprit: one request at a time
                try:
                    _resolve(future, await self._call(inputs))
                except Exception as single:
                    _fail(future, single)
            return
        if self._on_batch is not None:
            self._on_batch(len(batch), merged.rows)
        for (_, future), piece in zip(batch, pieces, strict=True):
            _resolve(future, piece)

    async def _call(self, inputs: Inputs) -> Any:
        if self.inline:
            return self._predict(inputs)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="shipyard-predict")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._predict, inputs)

    async def close(self) -> None:
        """Finish what is queued, then stop (the model is being unloaded)."""
        while self._queue:
            await asyncio.sleep(0.001)
        self._closed = True
        if self._wakeup is not None:
            self._wakeup.set()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker
        if self._executor is not None:
            self._executor.shutdown(wait=False)


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], exc: Exception) -> None:
    if future.done():
        return
    if not isinstance(exc, ShipyardError):
        # The model raised on an input that passed the signature check (NaN, unseen
        # category…): the input does not fit the model, so it is the caller's to fix.
        exc = SignatureMismatch(
            f"the model could not predict on this input: {type(exc).__name__}: {exc}",
            hint="check the values (missing values, unseen categories, ranges)",
        )
    future.set_exception(exc)


def split_rows(outputs: Any, counts: Sequence[int]) -> list[Any]:
    """Cut ``outputs`` (array, DataFrame/Series, list, or dict of those) into ``counts`` rows."""
    if len(counts) == 1:
        return [outputs]
    if isinstance(outputs, dict):
        columns = {k: split_rows(v, counts) for k, v in outputs.items()}
        return [{k: v[i] for k, v in columns.items()} for i in range(len(counts))]
    total = sum(counts)
    size = len(outputs)
    if size != total:
        raise ShipyardError(f"the model returned {size} rows for {total} inputs")
    pieces = []
    start = 0
    sliced = getattr(outputs, "iloc", outputs)
    for count in counts:
        pieces.append(sliced[start : start + count])
        start += count
    return pieces
