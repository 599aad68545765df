"""Small pieces of the record writer: the in-flight byte budget, finished futures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

from shipyard.objects.manifest import ChunkRef

__all__ = ["Budget", "Resolved"]


class Budget:
    """Blocks producers while more than ``limit`` bytes are being written."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._cond = threading.Condition()

    def acquire(self, size: int) -> None:
        size = min(size, self._limit)
        with self._cond:
            while self._used and self._used + size > self._limit:
                self._cond.wait()
            self._used += size

    def release(self, size: int) -> None:
        size = min(size, self._limit)
        with self._cond:
            self._used -= size
            self._cond.notify_all()


class Resolved(Future[ChunkRef]):
    """An already finished future, without the lock and condition a ``Future`` makes
    (thousands of tiny blobs are written inline, each handing one back)."""

    def __init__(self, value: ChunkRef | None, error: BaseException | None) -> None:
        self.value = value
        self.error = error

    def done(self) -> bool:
        return True

    def cancelled(self) -> bool:
        return False

    def cancel(self) -> bool:
        return False

    def exception(self, timeout: float | None = None) -> BaseException | None:
        return self.error

    def result(self, timeout: float | None = None) -> ChunkRef:
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value

    def add_done_callback(self, fn: Callable[[Future[ChunkRef]], object]) -> None:
        fn(self)
