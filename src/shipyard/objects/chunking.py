"""Content-defined chunking with FastCDC, streamed with bounded memory.

Cut points depend only on the bytes since the previous cut (FastCDC restarts
its rolling hash at every cut), so a file read block by block is cut exactly
as if it were chunked whole: a chunk is final once the buffer holds
``max_size`` bytes past its start, or the file has ended. Editing 1 MiB in the
middle of a file changes only the chunks around the edit.

Sizes were chosen by measurement; docs/objects.md ("Chunk sizes") gives the
figures. They are stored in the store marker, so all writers of one store cut
alike; changing them never changes a file's digest (which is the hash of the
content), only how new files are cut.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from fastcdc import fastcdc  # the compiled (Cython) chunker

from shipyard.core.errors import InvalidInput

__all__ = ["DEFAULT_CHUNKING", "ChunkParams", "iter_chunks"]

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class ChunkParams:
    """FastCDC sizes, and the file size from which files are chunked at all."""

    min_size: int = 512 * KiB
    avg_size: int = 1 * MiB
    max_size: int = 4 * MiB
    threshold: int = 4 * MiB
    """Files of at most this many bytes are stored as one blob."""

    def __post_init__(self) -> None:
        if not (256 <= self.min_size <= self.avg_size <= self.max_size <= 64 * MiB):
            raise InvalidInput(
                f"bad chunk sizes min={self.min_size} avg={self.avg_size} max={self.max_size}",
                hint="need 256 <= min <= avg <= max <= 64 MiB",
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


def iter_chunks(
    stream: BinaryIO,
    params: ChunkParams = DEFAULT_CHUNKING,
    *,
    block_size: int = 16 * MiB,
    on_read: Callable[[memoryview], None] | None = None,
) -> Iterator[memoryview]:
    """Yield the chunks of ``stream`` in order, as read-only views.

    Each view stays valid for as long as it is referenced (its buffer is never
    reused). Memory held: one block plus the chunks the caller still holds.
    ``on_read`` sees every newly read piece of the stream, in order (to hash
    the whole stream while it is being cut).
    """
    block = max(block_size, 4 * params.max_size)
    tail = b""
    eof = False
    while not eof:
        # An anonymous mapping, not a bytearray: it goes back to the OS as soon as
        # its last chunk is written, where malloc would keep freed blocks around.
        buffer = mmap.mmap(-1, len(tail) + block)
        buffer[: len(tail)] = tail
        filled = len(tail)
        while filled < len(buffer):
            got = stream.readinto(memoryview(buffer)[filled:])  # type: ignore[attr-defined]
            if not got:
                eof = True
                break
            filled += got
        view = memoryview(buffer)[:filled].toreadonly()
        if not filled:
            return
        if on_read is not None and filled > len(tail):
            on_read(view[len(tail) :])
        start = 0
        for chunk in fastcdc(view, params.min_size, params.avg_size, params.max_size):
            offset, length = int(chunk.offset), int(chunk.length)
            if not eof and filled - offset < params.max_size:
                break  # not enough bytes seen to be sure of this cut: carry over
            yield view[offset : offset + length]
            start = offset + length
        tail = bytes(view[start:])
    if tail:  # pragma: no cover - the loop above always consumes everything at EOF
        yield memoryview(tail)
