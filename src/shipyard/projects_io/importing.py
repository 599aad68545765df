"""``shipyard import``: an archive into the current store, all of it or nothing of it.

In order, each step only once the one before passed:

1. every member against the manifest (:func:`manifest.verify`), every row
   decoded and checked to belong to the archive's project (:mod:`checking`);
2. the target checked for clashes: the project holding data already, or any
   id of the archive present (an empty project of the same name, as a fresh
   ``shipyard init`` makes, is filled). An archive imported before is a no-op;
3. objects, through the target's object store (its backend and encryption
   apply), each checked against its digest; those it holds are skipped;
4. every row, the object grants and one ``project.import`` audit entry in
   one transaction, each table member re-hashed as it is read.

An import stopped anywhere leaves complete objects (content-addressed, so
harmless and reused) and no rows; running it again resumes. Sequence keys
(metric chunks, alias events…) are assigned by the target, in the source's
order. The source's audit entries are kept verbatim as one object the import
entry names, with the source chain's head: they are the source's history, not
events of this chain (see docs/deploy.md, "Move a project").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from shipyard.context import Context
from shipyard.core.digest import Digest, ObjectRef, new_hasher
from shipyard.core.errors import Conflict
from shipyard.core.principal import Principal
from shipyard.objects.grants import grant_rows
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.objects.store import ObjectStore
from shipyard.projects_io.api import ImportSummary
from shipyard.projects_io.archive import ArchiveReader, BadArchive
from shipyard.projects_io.checking import Contents, checked_contents, store_objects
from shipyard.projects_io.scope import SPECS, TableSpec, table_of
from shipyard.store import audit
from shipyard.store.db import Database
from shipyard.store.tables import AuditEventRow, ProjectRow
from shipyard.store.upsert import insert_ignoring_conflicts

__all__ = ["IMPORT_ACTION", "LocalImports", "import_project"]

IMPORT_ACTION = "project.import"
BATCH = 500


class LocalImports:
    """Imports into the database and object store ``ctx`` holds (the in-process side)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def import_archive(
        self, path: Path, *, expect: Digest | None = None, progress: Progress = NO_PROGRESS
    ) -> ImportSummary:
        ctx = self.ctx
        return import_project(
            ctx.db, ctx.objects, path, ctx.principal, expect=expect, progress=progress
        )


def import_project(
    db: Database,
    store: ObjectStore,
    path: Path,
    principal: Principal,
    *,
    expect: Digest | None = None,
    progress: Progress = NO_PROGRESS,
) -> ImportSummary:
    """Import the archive at ``path``; raises :class:`BadArchive` or :class:`Conflict`."""
    with ArchiveReader(path) as reader:
        archive_id, contents = checked_contents(reader, expect, progress)
        with db.read() as session:
            fill = _check_target(session, contents, archive_id)
        if fill is None:
            return ImportSummary(contents.project, archive_id, 0, 0, 0, 0, already=True)
        stored, present = store_objects(reader, store, contents, progress)
        with reader.stream(contents.members["audit.jsonl"]) as kept:
            entries = store.put_stream(kept)
        with db.write() as session:
            rows = _insert_rows(session, reader, contents, skip_project=fill, progress=progress)
            refs = [ObjectRef(d, s) for d, s in contents.objects.items()]
            refs.append(entries)
            for start in range(0, len(refs), 1000):
                grant_rows(session, principal, contents.project, refs[start : start + 1000])
            audit.record(
                session,
                principal,
                IMPORT_ACTION,
                f"project:{contents.project}",
                project=contents.project,
                detail={
                    "archive": archive_id.hex,
                    "exported_at": contents.exported_at,
                    "source_audit_head": contents.source_head,
                    "source_entries": contents.audit_entries,
                    "source_entries_object": entries.digest.hex,
                    "rows": rows,
                    "objects": len(contents.objects),
                },
            )
    return ImportSummary(
        contents.project, archive_id, rows, stored, present, contents.audit_entries
    )


def _check_target(session: Session, contents: Contents, archive_id: Digest) -> bool | None:
    """None: imported before (nothing to do); True: fill the empty project of that name;
    False: create it. Raises :class:`Conflict` when the target holds any of it already."""
    project = contents.project
    existing = session.scalar(select(ProjectRow.id).where(ProjectRow.name == project))
    if existing is not None and _imported_before(session, project, archive_id):
        return None
    clash = f"project {project!r} cannot be imported here"
    for spec in SPECS:
        table = table_of(spec.name)
        if spec.owner is not None and spec.name != "projects":
            owner = table.c[spec.owner]
            held = session.scalar(select(owner).where(owner == project).limit(1))
            if held is not None:
                raise Conflict(
                    f"{clash}: the target already has a project of that name with data "
                    f"(in {spec.name})",
                    hint="import into a store without that project (a project is moved "
                    "whole, never merged)",
                )
        if spec.has_ids:
            ids = sorted(contents.ids[spec.name])
            if spec.name == "projects" and existing is not None:
                continue
            for start in range(0, len(ids), 1000):
                batch = ids[start : start + 1000]
                found = session.scalar(select(table.c.id).where(table.c.id.in_(batch)).limit(1))
                if found is not None:
                    raise Conflict(
                        f"{clash}: {spec.name} row {found} already exists in the target "
                        "with other content",
                        hint="it was imported or copied here before under another name",
                    )
    return existing is not None


def _imported_before(session: Session, project: str, archive_id: Digest) -> bool:
    details = session.scalars(
        select(AuditEventRow.detail).where(
            AuditEventRow.target == f"project:{project}", AuditEventRow.action == IMPORT_ACTION
        )
    )
    return any(isinstance(d, dict) and d.get("archive") == archive_id.hex for d in details)


def _insert_rows(
    session: Session,
    reader: ArchiveReader,
    contents: Contents,
    *,
    skip_project: bool,
    progress: Progress,
) -> int:
    total = 0
    progress.begin("rows", sum(contents.counts.values()), "objects")
    for spec in SPECS:
        if spec.name == "projects" and skip_project:
            continue
        member = contents.members[f"tables/{spec.name}.jsonl"]
        table = table_of(spec.name)
        hasher = new_hasher()
        fixups: list[tuple[str, str]] = []
        batch: list[dict[str, Any]] = []
        for row in _rows(reader, contents, spec, hasher, fixups):
            batch.append(row)
            if len(batch) >= BATCH:
                total += _flush(session, spec, table, batch)
                progress.advance(len(batch))
                batch = []
        total += _flush(session, spec, table, batch)
        progress.advance(len(batch))
        if hasher.hexdigest() != contents.digests[member.name]:
            raise BadArchive(f"{reader.path}: member {member.name} changed while it was imported")
        for run_id, parent in fixups:
            session.execute(update(table).where(table.c.id == run_id).values(parent_id=parent))
    return total


def _rows(
    reader: ArchiveReader,
    contents: Contents,
    spec: TableSpec,
    hasher: Any,
    fixups: list[tuple[str, str]],
) -> Iterator[dict[str, Any]]:
    codec = contents.codec(spec)
    member = contents.members[f"tables/{spec.name}.jsonl"]
    seen: set[str] = set()
    for line in reader.lines(member, hasher):
        row = codec.decode(line)
        if spec.fresh is not None:
            row.pop(spec.fresh, None)
        if spec.name == "runs":  # a parent inserted after its child is linked at the end
            parent = row["parent_id"]
            if parent is not None and parent not in seen:
                fixups.append((row["id"], parent))
                row["parent_id"] = None
            seen.add(row["id"])
        yield row


def _flush(session: Session, spec: TableSpec, table: Table, batch: list[dict[str, Any]]) -> int:
    if not batch:
        return 0
    if spec.shared:
        keys = [c.name for c in table.primary_key.columns]
        insert_ignoring_conflicts(session, table, batch, keys)
    else:
        session.execute(insert(table), batch)
    return len(batch)
