"""Many small objects in one HTTP body: frames of (digest, size, bytes).

Pushing 20,000 small files must be a few requests, not 20,000, so uploads
and downloads of small objects travel framed, back to back::

    32 bytes  the object's BLAKE3 digest (raw)
    u64 LE    the content's size n
    n bytes   the content

Pure: no I/O. The receiver checks every digest itself; a truncated or
malformed body raises :class:`InvalidInput`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

from shipyard.core.digest import DIGEST_SIZE, Digest
from shipyard.core.errors import InvalidInput

__all__ = ["FRAME_HEAD", "FrameReader", "encode_frame", "encode_frames", "iter_frames"]

_SIZE = struct.Struct("<Q")
FRAME_HEAD = DIGEST_SIZE + _SIZE.size


def encode_frame(digest: Digest, data: bytes | memoryview) -> list[bytes | memoryview]:
    return [digest.raw + _SIZE.pack(len(data)), data]


def encode_frames(items: Iterable[tuple[Digest, bytes | memoryview]]) -> bytes:
    parts: list[bytes | memoryview] = []
    for digest, data in items:
        parts.extend(encode_frame(digest, data))
    return b"".join(parts)


def iter_frames(body: bytes | memoryview, *, max_size: int) -> Iterator[tuple[Digest, memoryview]]:
    """The frames of a whole body; objects larger than ``max_size`` are refused."""
    view = memoryview(body)
    offset = 0
    while offset < len(view):
        if len(view) - offset < FRAME_HEAD:
            raise InvalidInput("the framed body ends inside a frame header")
        digest = Digest.from_bytes(bytes(view[offset : offset + DIGEST_SIZE]))
        (size,) = _SIZE.unpack_from(view, offset + DIGEST_SIZE)
        if size > max_size:
            raise InvalidInput(
                f"object {digest.hex} of {size:,} bytes is too large for a batch",
                hint=f"send objects over {max_size:,} bytes one by one",
            )
        start = offset + FRAME_HEAD
        if start + size > len(view):
            raise InvalidInput(f"the framed body ends inside object {digest.hex}")
        yield digest, view[start : start + size]
        offset = start + size


class FrameReader:
    """Frames out of a body that arrives in pieces (a streamed download)."""

    def __init__(self, *, max_size: int) -> None:
        self.max_size = max_size
        self._buffer = bytearray()

    def feed(self, piece: bytes) -> list[tuple[Digest, bytes]]:
        """Add ``piece``; return the frames it completed."""
        self._buffer += piece
        frames = []
        offset = 0
        buffer = self._buffer
        while len(buffer) - offset >= FRAME_HEAD:
            (size,) = _SIZE.unpack_from(buffer, offset + DIGEST_SIZE)
            if size > self.max_size:
                raise InvalidInput(f"a framed object of {size:,} bytes exceeds {self.max_size:,}")
            end = offset + FRAME_HEAD + size
            if end > len(buffer):
                break
            digest = Digest.from_bytes(bytes(buffer[offset : offset + DIGEST_SIZE]))
            frames.append((digest, bytes(buffer[offset + FRAME_HEAD : end])))
            offset = end
        del buffer[:offset]
        return frames

    def finish(self) -> None:
        """Raise :class:`InvalidInput` if the body stopped inside a frame."""
        if self._buffer:
            raise InvalidInput("the framed answer ended inside a frame")
