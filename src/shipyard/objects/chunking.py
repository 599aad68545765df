"""Content-defined chunking with FastCDC, streamed with bounded memory.

The chunker is pyfastcdc's compiled FastCDC 2020 (two bytes per step), which
cuts without holding the GIL: the hashing and writing threads run meanwhile.
Cut points depend only on the bytes since the previous cut (FastCDC restarts
its rolling hash at every cut, and a cut found at some byte depends on no
byte after it), so a file read block by block is cut exactly as if it were
chunked whole: every chunk of a block is final except the one that runs into
the block's end, which is cut again with the next block (unless the file has
ended). Editing 1 MiB in the middle of a file changes only the chunks around
the edit.

Sizes were chosen by measurement; docs/objects.md ("Chunk sizes") gives the
figures. They are stored in the store marker, so all writers of one store cut
alike; changing them never changes a file's digest (which is the hash of the
content), only how new files are cut.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any, BinaryIO

from pyfastcdc.cy import FastCDC

from shipyard.core.errors import InvalidInput
from shipyard.core.memory import fresh_buffer

__all__ = [
    "DEFAULT_CHUNKING",
    "ChunkParams",
    "cut_points",
    "iter_chunk_views",
    "iter_chunks",
]

KiB = 1024
MiB = 1024 * KiB
_PIECE = 512 * KiB
"""Reads go in pieces this big: small enough to stay in a core's cache until hashed."""


@dataclass(frozen=True)
class ChunkParams:
    """FastCDC sizes, and the file size from which files are chunked at all."""

    min_size: int = 512 * KiB
    avg_size: int = 1 * MiB
    """FastCDC's target past ``min_size``: chunks average about ``min_size + avg_size``."""
    max_size: int = 4 * MiB
    threshold: int = 4 * MiB
    """Files of at most this many bytes are stored as one blob."""

    def __post_init__(self) -> None:
        fits = (
            256 <= self.min_size <= self.avg_size <= self.max_size
            and self.min_size <= MiB
            and self.avg_size <= 4 * MiB
            and 1024 <= self.max_size <= 16 * MiB
        )
        if not fits:
            raise InvalidInput(
                f"bad chunk sizes min={self.min_size} avg={self.avg_size} max={self.max_size}",
                hint="need 256 <= min <= avg <= max, min <= 1 MiB, avg <= 4 MiB, max <= 16 MiB",
            )
        if self.threshold < self.max_size:
            raise InvalidInput("the chunking threshold must be at least the maximum chunk size")

    def to_dict(self) -> dict[str, int]:
        return {
            "min_size": self.min_size,
            "avg_size": self.avg_size,
            "max_size": self.max_size,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ChunkParams:
        if not isinstance(data, dict):
            raise InvalidInput("chunking settings must be a mapping")
        try:
            return cls(**{k: int(v) for k, v in data.items()})
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"bad chunking settings {data!r}: {exc}") from None


DEFAULT_CHUNKING = ChunkParams()


@cache
def _chunker(params: ChunkParams) -> Any:
    return FastCDC(params.avg_size, min_size=params.min_size, max_size=params.max_size)


def cut_points(data: bytes | memoryview, params: ChunkParams) -> Iterator[tuple[int, int]]:
    """``(offset, length)`` of each chunk of ``data`` taken as a whole."""
    for chunk in _chunker(params).cut_buf(data):
        yield int(chunk.offset), int(chunk.length)


class _Block:
    """A reusable read buffer and a count of the chunk views still in use."""

    def __init__(self, size: int) -> None:
        # An anonymous mapping, not a bytearray: it goes back to the OS when
        # done, where malloc may keep big freed blocks around.
        self.buffer = fresh_buffer(size)
        self._users = 0
        self._cond = threading.Condition()

    def hold(self) -> Callable[[], None]:
        with self._cond:
            self._users += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                with self._cond:
                    self._users -= 1
                    self._cond.notify_all()

        return release

    def wait_free(self, stop: threading.Event) -> bool:
        """Wait until no chunk view of this block is in use; False if ``stop`` came first."""
        with self._cond:
            while self._users:
                if stop.is_set():
                    return False
                self._cond.wait(0.05)
            return True


def iter_chunk_views(
    stream: BinaryIO,
    params: ChunkParams = DEFAULT_CHUNKING,
    *,
    block_size: int = 16 * MiB,
    blocks: int = 4,
    on_piece: Callable[[memoryview], None] | None = None,
) -> Generator[tuple[memoryview, Callable[[], None]], None, None]:
    """Yield ``(chunk, release)`` pairs without copying: call ``release`` when done.

    The stream is read into ``blocks`` reused buffers (fresh memory for every
    block would cost a page fault per 4 KiB) by a thread of its own, one block
    ahead of the cutting; a buffer is refilled only once every chunk cut from
    it has been released, so memory stays at ``blocks`` buffers. Each buffer
    keeps ``max_size`` bytes free in front of the new data, where the chunk
    carried over from the block before is put. ``on_piece(piece)`` is called
    by the reading thread with every piece of the stream, in order, as soon
    as it is read (to hash the whole stream while the piece is still in the
    CPU's cache: hashing it later, from memory, was ~20 % slower). Close the
    generator when stopping early: that stops the reading thread.
    """
    block = max(block_size, 4 * params.max_size)
    front = params.max_size
    ring = [_Block(front + block) for _ in range(max(3, blocks))]
    stop = threading.Event()

    def fill(target: _Block) -> int:
        if not target.wait_free(stop):
            return 0
        with memoryview(target.buffer) as whole:
            view = whole[front : front + block]
            filled = 0
            while filled < block:
                piece = view[filled : filled + _PIECE]
                got = stream.readinto(piece)  # type: ignore[attr-defined]
                if not got:
                    break
                if on_piece is not None:
                    on_piece(piece[:got])
                filled += got
            return filled

    reader = ThreadPoolExecutor(1, thread_name_prefix="shipyard-read")
    try:
        turn = 0
        pending = reader.submit(fill, ring[0])
        tail = b""
        while True:
            current = ring[turn]
            fresh = pending.result()
            eof = fresh < block
            following = (turn + 1) % len(ring)
            if not eof:
                pending = reader.submit(fill, ring[following])
            start_at = front - len(tail)
            view = memoryview(current.buffer)
            view[start_at:front] = tail
            data = view[start_at : front + fresh].toreadonly()
            if not data:
                return
            start = 0
            for offset, length in cut_points(data, params):
                if not eof and offset + length >= len(data):
                    break  # cut by the block's end, not by the content: carry over
                yield data[offset : offset + length], current.hold()
                start = offset + length
            if eof:
                return
            tail = bytes(data[start:])
            turn = following
    finally:
        stop.set()
        reader.shutdown(wait=True)


def iter_chunks(
    stream: BinaryIO, params: ChunkParams = DEFAULT_CHUNKING, *, block_size: int = 16 * MiB
) -> Iterator[bytes]:
    """Yield the chunks of ``stream`` in order, each as its own ``bytes``."""
    for view, release in iter_chunk_views(stream, params, block_size=block_size):
        try:
            yield bytes(view)
        finally:
            release()
