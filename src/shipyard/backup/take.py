"""``shipyard backup``: a consistent snapshot of a store while it keeps serving.

The metadata is read in one read-only transaction (REPEATABLE READ on
PostgreSQL, a WAL read transaction on SQLite), so the snapshot is the database
as it was at one instant, however many writers go on meanwhile. The object
store is listed and copied after that instant: every object a snapshot row
names was written before the row (a record is stored before the metadata that
refers to it), so it is in the listing. Objects go to the location's shared
``store/`` folder, only those it lacks. The manifest is written last.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, select

from shipyard._version import __version__
from shipyard.backup.manifest import STORE_PREFIX, Manifest, Part, manifest_key, snapshot_prefix
from shipyard.backup.mirror import Copied, copy_keys, listing_bytes, store_keys
from shipyard.backup.rows import RowCodec
from shipyard.core.digest import digest_of
from shipyard.core.ids import new_id
from shipyard.objects.backends.base import Backend
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.store.db import Database

__all__ = ["BackupReport", "take_backup"]

# A part is closed once this much JSON is in it: bounded memory whatever the table's size.
PART_BYTES = 32 * 1024 * 1024
_FETCH = 2_000


@dataclass
class BackupReport:
    manifest: Manifest
    copied: Copied
    location: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.manifest.id,
            "location": self.location,
            "created_at": self.manifest.created_at,
            "schema_revision": self.manifest.schema_revision,
            "rows": self.manifest.rows(),
            "tables": {
                name: sum(p.rows for p in parts) for name, parts in self.manifest.tables.items()
            },
            "object_keys": self.manifest.object_keys,
            "object_bytes": self.manifest.object_bytes,
            "copied_keys": self.copied.keys,
            "copied_bytes": self.copied.bytes,
            "vanished_keys": self.copied.vanished,
        }


def take_backup(
    db: Database,
    store: Backend,
    destination: Backend,
    *,
    progress: Progress = NO_PROGRESS,
    workers: int = 4,
) -> BackupReport:
    """Snapshot ``db`` and copy ``store``'s keys to ``destination``; return what was written."""
    from shipyard.store.schema import metadata

    snapshot_id = new_id()
    prefix = snapshot_prefix(snapshot_id)
    with _snapshot_connection(db) as conn:
        revision, head = _revision_and_head(conn)
        manifest = Manifest(
            id=snapshot_id,
            created_at=datetime.now(UTC).isoformat(),
            shipyard_version=__version__,
            dialect=db.dialect,
            schema_revision=revision,
            audit_head=head,
        )
        progress.begin("reading the database", None, unit="objects")
        for table in metadata.sorted_tables:
            manifest.tables[table.name] = list(
                _dump_table(conn, table, destination, prefix, progress)
            )
    keys = list(store_keys(store))
    listing = listing_bytes(keys)
    manifest.objects = _write_part(destination, prefix + "objects.txt.gz", listing, len(keys))
    manifest.object_keys = len(keys)
    manifest.object_bytes = sum(size for _, size in keys)
    copied = copy_keys(
        store, "", destination, STORE_PREFIX, keys,
        workers=workers, progress=progress, total_bytes=manifest.object_bytes,
    )  # fmt: skip
    destination.write(manifest_key(snapshot_id), manifest.to_json())
    return BackupReport(manifest=manifest, copied=copied, location=destination.url)


@contextmanager
def _snapshot_connection(db: Database) -> Iterator[Connection]:
    """A read-only transaction that sees one instant of the database until it ends."""
    with db.translate_errors(), db.engine.connect() as conn:
        if db.dialect == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


def _revision_and_head(conn: Connection) -> tuple[str, dict[str, Any] | None]:
    from sqlalchemy import text

    from shipyard.store.schema import metadata

    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    head = conn.execute(select(metadata.tables["audit_head"])).mappings().first()
    audit = (
        None
        if head is None or not head["count"]
        else {"seq": head["last_seq"], "count": head["count"], "hash": head["last_hash"]}
    )
    return str(revision), audit


def _dump_table(
    conn: Connection, table: Table, destination: Backend, prefix: str, progress: Progress
) -> Iterator[Part]:
    codec = RowCodec(table)
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True, yield_per=_FETCH).execute(
        select(table).order_by(*order)
    )
    header = json.dumps({"columns": codec.columns}).encode() + b"\n"
    buffer, rows, number = io.BytesIO(), 0, 0
    buffer.write(header)
    for row in result:
        buffer.write(codec.encode(row))
        rows += 1
        if buffer.tell() >= PART_BYTES:
            number += 1
            yield _table_part(destination, prefix, table.name, number, buffer, rows)
            progress.advance(rows)
            buffer, rows = io.BytesIO(), 0
            buffer.write(header)
    if rows or number == 0:
        number += 1
        yield _table_part(destination, prefix, table.name, number, buffer, rows)
        progress.advance(rows)


def _table_part(
    destination: Backend, prefix: str, table: str, number: int, buffer: io.BytesIO, rows: int
) -> Part:
    data = gzip.compress(buffer.getvalue(), compresslevel=6, mtime=0)
    return _write_part(destination, f"{prefix}tables/{table}/{number:06d}.jsonl.gz", data, rows)


def _write_part(destination: Backend, key: str, data: bytes, rows: int) -> Part:
    destination.write(key, data)
    return Part(key=key, rows=rows, size=len(data), digest=digest_of(data).hex)
