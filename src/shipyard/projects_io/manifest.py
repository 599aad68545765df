"""The archive's manifest: every member's name, size and BLAKE3, checked before import.

``MANIFEST.jsonl`` is the last member: a first line naming the format, then one
line per member in archive order. :func:`verify` walks the members and the
manifest together (bounded memory, one read of the file) and raises
:class:`BadArchive` on the first member that is missing, extra, reordered, of
another size or of other content. The BLAKE3 of the manifest names the archive:
``shipyard export`` prints it, ``import`` compares it when given ``--expect``,
and the import's audit entry records it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shipyard.core.digest import Digest, new_hasher
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.projects_io.archive import ArchiveReader, BadArchive, Member

__all__ = ["MANIFEST", "ManifestLine", "first_line", "manifest_line", "verify"]

MANIFEST = "MANIFEST.jsonl"
FORMAT = "shipyard-project-archive"
VERSION = 1
MAX_LINE = 1024
_OBJECT = "objects/"
"""An object member is named by the BLAKE3 of its content."""


@dataclass(frozen=True, slots=True)
class ManifestLine:
    name: str
    size: int
    blake3: str


def first_line() -> bytes:
    return _line({"format": FORMAT, "version": VERSION})


def manifest_line(name: str, size: int, digest: str) -> bytes:
    return _line({"name": name, "size": size, "blake3": digest})


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def verify(reader: ArchiveReader, progress: Progress = NO_PROGRESS) -> Digest:
    """Check every member against the manifest; return the manifest's digest (the archive's id)."""
    manifest = None
    for member in reader.members():  # headers only: find the manifest, the last member
        manifest = member
    if manifest is None or manifest.name != MANIFEST:
        raise BadArchive(f"{reader.path} is not a project archive (no manifest at its end)")
    archive_id = new_hasher()
    lines = _lines(reader, manifest, archive_id)
    progress.begin("checking the archive", reader.size)
    for member in reader.members():
        if member is manifest or member == manifest:
            break
        expected = next(lines, None)
        if expected is None or expected.name != member.name or expected.size != member.size:
            raise BadArchive(f"{reader.path}: member {member.name} is not in the manifest as is")
        hasher = new_hasher(member.size)
        for piece in reader.pieces(member):
            hasher.update(piece)
            progress.advance(len(piece))
        actual = hasher.hexdigest()
        if actual != expected.blake3 or (
            member.name.startswith(_OBJECT) and member.name[8:] != actual
        ):
            raise BadArchive(f"{reader.path}: member {member.name} does not match its digest")
    if next(lines, None) is not None:
        raise BadArchive(f"{reader.path}: the manifest names members the archive lacks")
    return Digest(archive_id.hexdigest())


def _lines(reader: ArchiveReader, manifest: Member, archive_id: Any) -> Iterator[ManifestLine]:
    """The manifest's member lines, parsed and checked one at a time."""
    buffer = b""
    first = True
    for piece in reader.pieces(manifest):
        archive_id.update(piece)
        buffer += piece
        *complete, buffer = buffer.split(b"\n")
        if len(buffer) > MAX_LINE:
            raise BadArchive(f"{reader.path}: a manifest line is too long")
        for raw in complete:
            if first:
                head = _parse(reader, raw)
                if head != {"format": FORMAT, "version": VERSION}:
                    raise BadArchive(f"{reader.path}: unknown archive format {str(head)[:80]}")
                first = False
                continue
            yield _entry(reader, raw)
    if buffer or first:
        raise BadArchive(f"{reader.path}: the manifest is cut short")


def _parse(reader: ArchiveReader, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise BadArchive(f"{reader.path}: a manifest line is not JSON") from None


def _entry(reader: ArchiveReader, raw: bytes) -> ManifestLine:
    value = _parse(reader, raw)
    if (
        not isinstance(value, dict)
        or set(value) != {"name", "size", "blake3"}
        or not isinstance(value["name"], str)
        or not isinstance(value["size"], int)
        or not isinstance(value["blake3"], str)
    ):
        raise BadArchive(f"{reader.path}: a manifest line is malformed")
    return ManifestLine(value["name"], value["size"], value["blake3"])
