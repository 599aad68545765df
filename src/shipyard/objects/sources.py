"""Reading what is put: files and streams, each failure one translated line.

Shared by local puts (:mod:`shipyard.objects.files`) and uploads to a team
server (:mod:`shipyard.objects.http_uploads`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from shipyard.core.errors import InvalidInput, NotFound

__all__ = ["Prefixed", "file_size", "open_file", "read_file", "read_up_to"]


def file_size(path: Path | str) -> int:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NotFound(f"{path} does not exist") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InvalidInput(f"{path} is not a regular file")
    return st.st_size


def read_file(path: Path | str) -> bytes:
    """The whole file (plain file descriptors: thousands of tiny files are read per add,
    and a buffered file object costs more than the read)."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            parts = []
            while piece := os.read(fd, 1 << 20):
                parts.append(piece)
        finally:
            os.close(fd)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    return parts[0] if len(parts) == 1 else b"".join(parts)


def open_file(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None


def read_up_to(stream: BinaryIO, n: int) -> bytes:
    parts = []
    remaining = n
    while remaining:
        part = stream.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


class Prefixed:
    """A readable stream: ``head`` then the rest of ``stream`` (``readinto`` only)."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        readinto = getattr(self._stream, "readinto", None)
        if readinto is not None:
            return int(readinto(view) or 0)
        data = self._stream.read(min(len(view), 1 << 20))  # small reads: small buffers
        view[: len(data)] = data
        return len(data)
