"""The project archive's container: a plain ustar file, written and read by hand.

Written member by member with known sizes, so nothing is held in memory but
one piece of one member. Read strictly: only regular files whose names follow
:data:`MEMBER_NAME` (which rules out ``..``, absolute paths and anything
unexpected), no links, devices, folders, pax or GNU extension headers, no
member running past the end of the file. A hostile archive gets one line,
:class:`BadArchive`, before anything is written anywhere.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from shipyard.core.errors import InvalidInput

__all__ = ["MAX_LINE", "MEMBER_NAME", "ArchiveReader", "ArchiveWriter", "BadArchive", "Member"]

BLOCK = 512
PIECE = 1 << 20
MAX_LINE = 64 << 20
"""The longest row line accepted (a packed metric chunk of 100,000 points is ~3 MiB)."""
MEMBER_NAME = re.compile(
    r"header\.json|audit\.jsonl|MANIFEST\.jsonl|tables/[a-z_]{1,60}\.jsonl|objects/[0-9a-f]{64}"
)
"""Every name a project archive may hold; nothing else is accepted."""
_REGULAR = (tarfile.REGTYPE, tarfile.AREGTYPE)


class BadArchive(InvalidInput):
    """The file is not an intact project archive (damaged, tampered with, or hostile)."""


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    offset: int
    """Where its content starts in the file."""
    size: int


class ArchiveWriter:
    """Appends members to a new archive file; :meth:`close` writes the end marker."""

    def __init__(self, stream: BinaryIO) -> None:
        self._out = stream

    def add(self, name: str, size: int, pieces: Iterable[bytes]) -> None:
        """Write member ``name`` of exactly ``size`` bytes from ``pieces``."""
        if not MEMBER_NAME.fullmatch(name):
            raise ValueError(f"not an archive member name: {name!r}")
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o644
        info.mtime = 0  # the same project exports to the same bytes
        # GNU: sizes past 8 GiB in base-256; names are short, so no extension headers.
        self._out.write(info.tobuf(tarfile.GNU_FORMAT, "utf-8", "strict"))
        written = 0
        for piece in pieces:
            written += len(piece)
            if written > size:
                break
            self._out.write(piece)
        if written != size:
            raise BadArchive(f"member {name} changed size while it was written")
        self._out.write(b"\0" * (-size % BLOCK))

    def add_file(self, name: str, path: Path) -> None:
        size = path.stat().st_size
        with path.open("rb") as f:
            self.add(name, size, iter(lambda: f.read(PIECE), b""))

    def close(self) -> None:
        self._out.write(b"\0" * (2 * BLOCK))


class ArchiveReader:
    """Members of an archive file, checked as their headers are read."""

    def __init__(self, path: Path) -> None:
        try:
            self._file = path.open("rb")
            self.size = os.fstat(self._file.fileno()).st_size
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
        self.path = path

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def members(self) -> Iterator[Member]:
        """Every member in order (headers only; seeks over content)."""
        offset = 0
        while True:
            self._file.seek(offset)
            block = self._file.read(BLOCK)
            if len(block) < BLOCK:
                raise BadArchive(f"{self.path} ends in the middle of a header (truncated?)")
            if block == b"\0" * BLOCK:
                return
            try:
                info = tarfile.TarInfo.frombuf(block, "utf-8", "strict")
            except (tarfile.HeaderError, UnicodeDecodeError):
                raise BadArchive(f"{self.path} has a damaged header at byte {offset}") from None
            name = info.name
            if not MEMBER_NAME.fullmatch(name):
                raise BadArchive(f"{self.path} holds an unexpected member {name[:80]!r}")
            if info.type not in _REGULAR:
                raise BadArchive(f"{self.path}: member {name} is not a regular file")
            start = offset + BLOCK
            if info.size < 0 or start + info.size > self.size:
                raise BadArchive(f"{self.path}: member {name} runs past the end (truncated?)")
            yield Member(name, start, info.size)
            offset = start + info.size + (-info.size % BLOCK)

    def pieces(self, member: Member, piece: int = PIECE) -> Iterator[bytes]:
        """The member's content, ``piece`` bytes at a time."""
        position, left = member.offset, member.size
        while left:
            self._file.seek(position)  # other readers of this handle may have moved it
            data = self._file.read(min(piece, left))
            position += len(data)
            if not data:
                raise BadArchive(f"{self.path}: member {member.name} is cut short")
            left -= len(data)
            yield data

    def lines(self, member: Member, hasher: Any = None) -> Iterator[bytes]:
        """The member's lines (a JSON-lines member), each at most :data:`MAX_LINE` bytes;
        ``hasher`` (optional) sees every byte."""
        buffer = bytearray()
        for piece in self.pieces(member):
            if hasher is not None:
                hasher.update(piece)
            buffer += piece
            start = 0
            while (end := buffer.find(b"\n", start)) >= 0:
                yield bytes(buffer[start:end])
                start = end + 1
            del buffer[:start]
            if len(buffer) > MAX_LINE:
                raise BadArchive(f"{self.path}: member {member.name} has a line that is too long")
        if buffer:
            raise BadArchive(f"{self.path}: member {member.name} ends without a newline")

    def stream(self, member: Member) -> BinaryIO:
        """A file object reading exactly the member's content (its own handle)."""
        return io.BufferedReader(_Slice(self.path, member), PIECE)


class _Slice(io.RawIOBase):
    def __init__(self, path: Path, member: Member) -> None:
        super().__init__()
        self._file = path.open("rb")
        self._file.seek(member.offset)
        self._left = member.size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = self._file.readinto(view[: min(len(view), self._left)])
        self._left -= n
        return n

    def close(self) -> None:
        self._file.close()
        super().close()
