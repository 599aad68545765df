"""``shipyard import`` against a team server URL (an admin's token).

The archive is checked here first (manifest, every row), so a bad one is
refused before anything is sent. Then its objects go to the project through
the object routes (only those the project lacks: a second run resumes), and
the rest of the archive (header, rows, audit entries, a manifest of those) is
streamed to ``POST /api/v1/project-imports``, which checks it all again and
imports it in one transaction (:mod:`shipyard.projects_io.routes`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from shipyard.context import Context
from shipyard.core.digest import Digest, new_hasher
from shipyard.objects.http_store import HttpObjectStore
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.projects_io.api import ImportSummary
from shipyard.projects_io.archive import PIECE, ArchiveReader, ArchiveWriter
from shipyard.projects_io.checking import checked_contents, store_objects
from shipyard.projects_io.manifest import MANIFEST, first_line, manifest_line

__all__ = ["RemoteImports"]

ROUTE = "/api/v1/project-imports"
TIMEOUT_S = 3600.0
"""The server checks and imports the whole project before it answers."""


class RemoteImports:
    """Imports through the team server ``ctx.remote`` names (its admins)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def import_archive(
        self, path: Path, *, expect: Digest | None = None, progress: Progress = NO_PROGRESS
    ) -> ImportSummary:
        return _import(self.ctx, path, expect, progress)


def _import(ctx: Context, path: Path, expect: Digest | None, progress: Progress) -> ImportSummary:
    with ArchiveReader(path) as reader:
        archive_id, contents = checked_contents(reader, expect, progress)
        store = HttpObjectStore(ctx.remote, contents.project, workers=ctx.settings.objects.workers)
        stored, present = store_objects(reader, store, contents, progress)
        with tempfile.TemporaryDirectory(prefix="shipyard-import-") as tmp:
            rows = Path(tmp) / "rows.tar"
            _without_objects(reader, rows)
            progress.begin("importing on the server", None, "objects")
            with (
                rows.open("rb") as body,
                ctx.remote.stream(
                    "POST",
                    ROUTE,
                    content=iter(lambda: body.read(PIECE), b""),
                    headers={"Content-Type": "application/octet-stream"},
                    timeout=TIMEOUT_S,
                ) as answer,
            ):
                answer.read()
                data = answer.json()
    return ImportSummary(
        project=str(data["project"]),
        archive_id=archive_id,
        rows=int(data["rows"]),
        objects_stored=stored,
        objects_present=present,
        audit_entries=int(data["audit_entries"]),
        already=bool(data["already_imported"]),
    )


def _without_objects(reader: ArchiveReader, dest: Path) -> None:
    """The archive's members but its objects, with a manifest of those."""
    manifest = first_line()
    with dest.open("wb") as out:
        writer = ArchiveWriter(out)
        for member in reader.members():
            if member.name.startswith("objects/") or member.name == MANIFEST:
                continue
            hasher = new_hasher()
            writer.add(member.name, member.size, _hashed(reader.pieces(member), hasher))
            manifest += manifest_line(member.name, member.size, hasher.hexdigest())
        writer.add(MANIFEST, len(manifest), [manifest])
        writer.close()


def _hashed(pieces: Iterator[bytes], hasher: object) -> Iterator[bytes]:
    for piece in pieces:
        hasher.update(piece)  # type: ignore[attr-defined]
        yield piece
