"""Hashing a whole stream on a thread of its own, beside the work on its chunks.

BLAKE3 releases the GIL, so while the main thread fetches the chunks of an
object and writes them out, this thread hashes the same bytes in order to
verify the whole. At most ``backlog`` pieces wait, so memory stays bounded.
(Putting hashes each piece in the reading thread instead, while it is still
in the CPU's cache: see :func:`shipyard.objects.chunking.iter_chunk_views`.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from shipyard.core.digest import Digest, new_hasher

__all__ = ["BackgroundHasher"]


class BackgroundHasher:
    """``update`` queues bytes to hash; ``digest`` waits and returns the result."""

    def __init__(self, backlog: int = 2) -> None:
        self._hasher: Any = new_hasher()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shipyard-hash")
        self._pending: deque[Future[Any]] = deque()
        self._backlog = backlog

    def update(self, data: bytes | memoryview, release: Callable[[], None] | None = None) -> None:
        """Queue ``data``; ``release`` (if given) is called once it has been hashed."""
        while len(self._pending) >= self._backlog:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._hash, data, release))

    def _hash(self, data: bytes | memoryview, release: Callable[[], None] | None) -> None:
        try:
            self._hasher.update(data)
        finally:
            if release is not None:
                release()

    def digest(self) -> Digest:
        try:
            while self._pending:
                self._pending.popleft().result()
            return Digest(self._hasher.hexdigest())
        finally:
            self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> BackgroundHasher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
