"""``shipyard restore``: rebuild an empty database and object store from a backup.

Order matters for what an interruption leaves: objects first (copying is
idempotent, and a second run copies only what is missing), then every row in
one transaction (a failure leaves the database's tables empty, so restore can
simply run again), then one audit entry that says so. Each part is checked
against the manifest's digest before a row of it is inserted; a tampered part
rolls the whole load back.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from shipyard.backup.manifest import (
    SNAPSHOTS_PREFIX,
    STORE_PREFIX,
    Manifest,
    Part,
    check_snapshot_id,
    manifest_key,
)
from shipyard.backup.mirror import Copied, copy_keys, parse_listing
from shipyard.backup.rows import RowCodec
from shipyard.core.digest import digest_of
from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.core.object_layout import MARKER_KEY
from shipyard.core.principal import Principal
from shipyard.objects.backends.base import Backend
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.store.db import Database

__all__ = ["RestoreReport", "latest_snapshot", "read_manifest", "restore_backup"]

# Decompressed size limits of what a backup may hand us (a part is written at 32 MiB).
PART_LIMIT = 256 * 1024 * 1024
LISTING_LIMIT = 2 * 1024 * 1024 * 1024
_BATCH = 1_000


@dataclass
class RestoreReport:
    manifest: Manifest
    copied: Copied
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.manifest.id,
            "created_at": self.manifest.created_at,
            "rows": self.rows,
            "object_keys": self.manifest.object_keys,
            "copied_keys": self.copied.keys,
            "copied_bytes": self.copied.bytes,
        }


def latest_snapshot(source: Backend) -> str:
    """The newest finished snapshot at ``source`` (ids sort by time)."""
    ids = sorted(
        info.key[len(SNAPSHOTS_PREFIX) : -len("/manifest.json")]
        for info in source.list(SNAPSHOTS_PREFIX)
        if info.key.endswith("/manifest.json") and info.key.count("/") == 2
    )
    if not ids:
        raise NotFound(f"{source.url} holds no finished backup snapshot")
    return check_snapshot_id(ids[-1])


def read_manifest(source: Backend, snapshot_id: str) -> Manifest:
    check_snapshot_id(snapshot_id)
    try:
        data = source.read(manifest_key(snapshot_id))
    except NotFound:
        raise NotFound(f"{source.url} holds no finished snapshot {snapshot_id}") from None
    return Manifest.from_json(data, snapshot_id)


def restore_backup(
    db: Database,
    store: Backend,
    source: Backend,
    principal: Principal,
    *,
    snapshot_id: str | None = None,
    progress: Progress = NO_PROGRESS,
    workers: int = 4,
) -> RestoreReport:
    """Restore a snapshot (the newest by default) into an empty ``db`` and ``store``."""
    from shipyard.store.migrate import current_revision, upgrade
    from shipyard.store.schema import SCHEMA_HEAD, metadata

    manifest = read_manifest(source, snapshot_id or latest_snapshot(source))
    if manifest.schema_revision != SCHEMA_HEAD:
        raise InvalidInput(
            f"snapshot {manifest.id} was taken at schema revision {manifest.schema_revision} "
            f"by Shipyard {manifest.shipyard_version}; this version restores revision "
            f"{SCHEMA_HEAD}",
            hint="restore it with the version that took it, then run `shipyard db upgrade`",
        )
    if set(manifest.tables) != set(metadata.tables):
        raise InvalidInput(f"snapshot {manifest.id} does not list this schema's tables")
    current = current_revision(db)
    if current is not None:
        _check_empty(db, current)
    _check_store(store, source)
    listing = _listing(source, manifest)
    copied = copy_keys(
        source, STORE_PREFIX, store, "", listing,
        workers=workers, progress=progress, total_bytes=manifest.object_bytes,
    )  # fmt: skip
    if copied.vanished:
        raise NotFound(f"the backup lacks {copied.vanished} object store key(s) its snapshot needs")
    upgrade(db)
    rows = _load(db, source, manifest, progress)
    _record(db, principal, manifest, rows)
    return RestoreReport(manifest=manifest, copied=copied, rows=rows)


def _check_empty(db: Database, current: str) -> None:
    from shipyard.store.schema import SCHEMA_HEAD, metadata

    if current != SCHEMA_HEAD:
        held = ["its schema is at another revision"]
    else:
        with db.connect() as conn:
            held = [
                table.name
                for table in metadata.sorted_tables
                if conn.execute(select(func.count()).select_from(table)).scalar_one()
            ]
    if held:
        listed = ", ".join(held[:3]) + ("…" if len(held) > 3 else "")
        raise Conflict(
            f"{db.display_uri} is not empty ({listed})",
            hint="restore rebuilds an empty database: create a new one and point --uri at it",
        )


def _check_store(store: Backend, source: Backend) -> None:
    """The target store must be empty, or a restore of this backup's store (resuming)."""
    if next(iter(store.list("")), None) is None:
        return
    try:
        same = store.read(MARKER_KEY) == source.read(STORE_PREFIX + MARKER_KEY)
    except NotFound:
        same = False
    if not same:
        raise Conflict(
            f"the object store {store.url} is not empty",
            hint="restore into an empty folder or bucket prefix (--store)",
        )


def _listing(source: Backend, manifest: Manifest) -> list[tuple[str, int]]:
    if manifest.objects is None:
        return []
    data = _checked(source, manifest.objects)
    return parse_listing(gunzip_bounded(data, LISTING_LIMIT, "the object listing").decode())


def _checked(source: Backend, part: Part) -> bytes:
    try:
        data = source.read(part.key)
    except NotFound:
        raise NotFound(f"the backup lacks {part.key}") from None
    if len(data) != part.size or digest_of(data).hex != part.digest:
        raise InvalidInput(f"{part.key} does not match the backup's manifest (altered or damaged)")
    return data


def gunzip_bounded(data: bytes, limit: int, what: str) -> bytes:
    """Decompress gzip ``data``, refusing more than ``limit`` bytes out."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise InvalidInput(f"{what} in the backup is not valid gzip") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise InvalidInput(f"{what} in the backup expands beyond {limit:,} bytes")
    return out


def _load(db: Database, source: Backend, manifest: Manifest, progress: Progress) -> int:
    from shipyard.store.schema import metadata

    progress.begin("restoring rows", manifest.rows(), unit="objects")
    total = 0
    engine = db.engine.execution_options(shipyard_write=True)
    with db.translate_errors(), engine.connect() as conn, conn.begin():
        for table in metadata.sorted_tables:
            for part in manifest.tables[table.name]:
                batch: list[dict[str, Any]] = []
                for row in _rows(source, part, table):
                    batch.append(row)
                    if len(batch) >= _BATCH:
                        total += _insert(conn, table, batch, progress)
                        batch = []
                total += _insert(conn, table, batch, progress)
        if db.dialect == "postgresql":
            _advance_sequences(conn)
    return total


def _rows(source: Backend, part: Part, table: Table) -> Iterator[dict[str, Any]]:
    data = gunzip_bounded(_checked(source, part), PART_LIMIT, part.key)
    lines = data.split(b"\n")
    try:
        columns = json.loads(lines[0])["columns"]
    except (ValueError, KeyError, TypeError):
        raise InvalidInput(f"{part.key} is not a table part") from None
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise InvalidInput(f"{part.key} is not a table part")
    codec = RowCodec(table, columns)
    count = 0
    for line in lines[1:]:
        if line:
            count += 1
            yield codec.decode(line)
    if count != part.rows:
        raise InvalidInput(f"{part.key} holds {count} rows, its manifest says {part.rows}")


def _insert(conn: Connection, table: Table, batch: list[dict[str, Any]], progress: Progress) -> int:
    if batch:
        conn.execute(table.insert(), batch)
        progress.advance(len(batch))
    return len(batch)


def _advance_sequences(conn: Connection) -> None:
    """Restored rows carry their ids; PostgreSQL's sequences must start past them."""
    from shipyard.store.schema import metadata

    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].type.python_type is not int:
            continue
        column = keys[0].name
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608
                f'COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) FROM "{table.name}"'
            ),
            {"table": table.name, "column": column},
        )


def _record(db: Database, principal: Principal, manifest: Manifest, rows: int) -> None:
    from shipyard.store import audit

    with db.write() as session:
        audit.record(
            session, principal, "store.restore", f"snapshot:{manifest.id}",
            detail={"taken_at": manifest.created_at, "rows": rows,
                    "object_keys": manifest.object_keys, "audit_head": manifest.audit_head},
        )  # fmt: skip
