"""``shipyard export``: one project's rows, audit entries and objects into one archive.

Streamed end to end: rows are read a page at a time (:func:`scope.page_rows`)
into a scratch file per table, then copied into the archive; objects are read
from the store piece by piece (each verified against its digest) straight
into the archive. Memory holds a page of rows, one piece of one object, and
the set of object digests the project references. The archive is written
under a temporary name and renamed into place when complete.

:func:`project_tables` (rows of every table, in insertion order) and
:func:`project_objects` (every digest the project needs) are the reusable
parts, for whole-server backups.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from shipyard.core.digest import Digest, new_hasher
from shipyard.core.errors import NotFound
from shipyard.data.tree import ProfileIndex, Tree
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.objects.store import ObjectStore
from shipyard.objects.tables import ObjectGrantRow
from shipyard.projects_io.archive import ArchiveWriter
from shipyard.projects_io.manifest import MANIFEST, first_line, manifest_line
from shipyard.projects_io.rows import RowCodec
from shipyard.projects_io.scope import SPECS, TableSpec, page_rows, table_of
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.tables import ProjectRow

__all__ = ["ExportSummary", "export_project", "project_objects", "project_tables"]

FORMAT = "shipyard-project"
VERSION = 1


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    archive_id: Digest
    rows: int
    objects: int
    object_bytes: int
    audit_entries: int


def export_project(
    db: Database,
    store: ObjectStore,
    project: str,
    dest: Path,
    progress: Progress = NO_PROGRESS,
) -> ExportSummary:
    """Write ``project`` to the archive ``dest``; raises :class:`NotFound` for an unknown one."""
    scratch = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with scratch.open("wb") as out, _session(db) as session:
            summary = _write(session, store, project, out, dest.parent, progress)
        os.replace(scratch, dest)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    return ExportSummary(dest, *summary)


@contextmanager
def _session(db: Database) -> Iterator[Session]:
    """One read transaction, a consistent snapshot of the project on both databases."""
    with db.read() as session:
        if db.dialect == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session


def _write(
    session: Session,
    store: ObjectStore,
    project: str,
    out: BinaryIO,
    beside: Path,
    progress: Progress,
) -> tuple[Digest, int, int, int, int]:
    if session.scalar(select(ProjectRow.id).where(ProjectRow.name == project)) is None:
        raise NotFound(
            f"no project {project!r} in this store",
            hint="`shipyard status` names the workspace's project",
        )
    archive = ArchiveWriter(out)
    with tempfile.TemporaryDirectory(prefix="shipyard-export-", dir=beside) as tmp:
        folder = Path(tmp)
        manifest = (folder / "manifest").open("w+b")
        manifest.write(first_line())

        def add(name: str, path: Path) -> None:
            size, digest = _hash_file(path)
            archive.add_file(name, path)
            manifest.write(manifest_line(name, size, digest))
            path.unlink()

        header = folder / "header"
        header.write_bytes(_header(session, project))
        add("header.json", header)
        rows = 0
        progress.begin("rows", None, "objects")
        for spec in SPECS:
            part = folder / spec.name
            with part.open("wb") as f:
                for _, row in project_tables(session, project, (spec,)):
                    f.write(row)
                    rows += 1
                    progress.advance(1)
            add(f"tables/{spec.name}.jsonl", part)
        entries = folder / "audit"
        count = 0
        with entries.open("wb") as f:
            for entry in _audit_lines(session, project):
                f.write(entry)
                count += 1
        add("audit.jsonl", entries)
        digests = sorted(project_objects(session, store, project), key=lambda d: d.hex)
        sizes = [store.stat(d).size for d in _present(store, digests)]
        progress.begin("objects", sum(sizes))
        for digest, size in zip(digests, sizes, strict=True):
            archive.add(
                f"objects/{digest.hex}", size, _counted(store.iter_content(digest), progress)
            )
            manifest.write(manifest_line(f"objects/{digest.hex}", size, digest.hex))
        manifest.flush()
        archive.add_file(MANIFEST, Path(manifest.name))
        manifest.seek(0)
        archive_id = new_hasher()
        for piece in iter(lambda: manifest.read(1 << 20), b""):
            archive_id.update(piece)
        manifest.close()
        archive.close()
    return Digest(archive_id.hexdigest()), rows, len(digests), sum(sizes), count


def project_tables(
    session: Session, project: str, specs: tuple[TableSpec, ...] = SPECS
) -> Iterator[tuple[TableSpec, bytes]]:
    """Every row of ``project`` as an archive line, table by table in insertion order."""
    for spec in specs:
        codec = RowCodec(table_of(spec.name))
        for row in page_rows(session, spec, project):
            yield spec, codec.encode(row)


def project_objects(session: Session, store: ObjectStore, project: str) -> set[Digest]:
    """Every object ``project``'s rows name (directory listings opened), and its grants."""
    found: set[Digest] = set()
    for spec in SPECS:
        table = table_of(spec.name)
        wanted = list(spec.objects)
        if spec.name == "model_versions":
            wanted.append("files")
        if spec.name == "dataset_versions":
            wanted.append("kind")
        if not wanted:
            continue
        for row in page_rows(session, spec, project):
            values = dict(zip([c.name for c in table.columns], row, strict=True))
            found.update(Digest(values[c]) for c in spec.objects if values[c])
            if spec.name == "model_versions":
                found.update(Digest(f["blake3"]) for f in values["files"].get("files", []))
            if spec.name == "dataset_versions" and values["kind"] == "directory":
                found.update(_listed(store, values["digest"], values["profile_digest"]))
    grants = select(ObjectGrantRow.digest).where(ObjectGrantRow.project == project)
    found.update(Digest(d) for d in session.scalars(grants))
    return found


def _listed(store: ObjectStore, listing: str, profiles: str | None) -> Iterator[Digest]:
    digest = Digest(listing)
    yield from (f.digest for f in Tree.from_bytes(store.read_bytes(digest), digest).files)
    if profiles:
        index = Digest(profiles)
        yield from (
            d for d, _ in ProfileIndex.from_bytes(store.read_bytes(index), index).files.values()
        )


def _present(store: ObjectStore, digests: list[Digest]) -> list[Digest]:
    missing = store.missing(digests)
    if missing:
        first = min(missing, key=lambda d: d.hex)
        raise NotFound(
            f"{len(missing):,} object(s) the project references are not in {store.url} "
            f"(first: {first.hex})",
            hint="`shipyard data pull` (or fetch them from where they were pushed) first; "
            "`shipyard fsck` lists them",
        )
    return digests


def _header(session: Session, project: str) -> bytes:
    head = audit.chain_head(session)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "project": project,
        "exported_at": utcnow().isoformat(),
        "source_audit_head": None if head is None else {"seq": head.seq, "hash": head.hash},
        "tables": {s.name: [c.name for c in table_of(s.name).columns] for s in SPECS},
        "audit_columns": [c.name for c in table_of("audit_events").columns],
    }
    return json.dumps(doc, sort_keys=True, indent=1).encode()


def _audit_lines(session: Session, project: str) -> Iterator[bytes]:
    """The source's audit entries about the project, oldest first, as archive lines."""
    table = table_of("audit_events")
    codec = RowCodec(table, named=True)
    last = 0
    while True:
        query = (
            select(table)
            .where(table.c.project == project, table.c.seq > last)
            .order_by(table.c.seq)
            .limit(1000)
        )
        rows = session.execute(query).all()
        yield from (codec.encode(tuple(r)) for r in rows)
        if len(rows) < 1000:
            return
        last = rows[-1].seq


def _hash_file(path: Path) -> tuple[int, str]:
    hasher = new_hasher()
    size = 0
    with path.open("rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            hasher.update(piece)
            size += len(piece)
    return size, hasher.hexdigest()


def _counted(pieces: Iterator[bytes], progress: Progress) -> Iterator[bytes]:
    for piece in pieces:
        progress.advance(len(piece))
        yield piece
