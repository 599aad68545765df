"""Registering a dataset version is written once: the sqlite3 fast path (LiteRecords) and
the SQLAlchemy path (SqlRecords) write the same rows and the same audit chain."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from shipyard.core.digest import Digest
from shipyard.core.principal import Principal, Role
from shipyard.data import records_lite
from shipyard.data.records import NewVersion
from shipyard.data.records_lite import LiteRecords
from shipyard.data.records_sql import SqlRecords
from shipyard.store import audit
from shipyard.store.db import Database
from shipyard.store.migrate import upgrade
from shipyard.store.schema import metadata

SRC = Path(__file__).resolve().parents[2] / "src" / "shipyard"
TABLES = ("datasets", "dataset_versions", "audit_events", "audit_head")
WRITER = Principal("carol", roles={"p": Role.CONTRIBUTOR}, source="10.0.0.7 token:abc")
A, B, C = Digest("aa" * 32), Digest("bb" * 32), Digest("cc" * 32)
BATCHES = [
    [NewVersion("t.csv", "file", A, 100, 1, rows=5, git_commit="abc1234", message="first")],
    [NewVersion("t.csv", "file", B, 7, 1), NewVersion("d", "directory", A, 2**40, 3)],
    [NewVersion("t.csv", "file", A, 100, 1)],  # known content: nothing written
    [NewVersion("t.csv", "file", C, 1, 1, profile_digest=B, message="ünïcode")],
]


def _clock() -> Iterator[datetime]:
    start = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    return (start + timedelta(seconds=n, microseconds=n) for n in range(1000))


def _ids() -> Iterator[str]:
    return (f"{n:026d}" for n in range(1000))


def _fresh(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    return db


def _dump(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the four tables, as their column types read them (on either backend)."""
    with db.connect() as conn:
        out = {}
        for name in TABLES:
            table = metadata.tables[name]
            query = select(table).order_by(*table.primary_key.columns)
            out[name] = [tuple(row) for row in conn.execute(query)]
        return out


def _raw(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every value of the four tables with its SQLite storage class, byte for byte."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table in TABLES:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            select = ", ".join(f"typeof({c}), quote({c})" for c in columns)
            out[table] = conn.execute(f"SELECT {select} FROM {table} ORDER BY 2").fetchall()
        return out
    finally:
        conn.close()


def test_both_paths_write_the_same_rows_and_chain(database: Database, tmp_path: Path) -> None:
    lite_db = _fresh(tmp_path / "lite.db")
    try:
        clock, ids = _clock(), _ids()
        sql = SqlRecords(database, clock=lambda: next(clock), ids=lambda: next(ids))
        clock2, ids2 = _clock(), _ids()

        def no_fallback() -> SqlRecords:
            raise AssertionError("the fast path fell back to SQLAlchemy")

        lite = LiteRecords(tmp_path / "lite.db", no_fallback, clock=lambda: next(clock2),
                           ids=lambda: next(ids2))  # fmt: skip
        for batch in BATCHES:
            assert lite.register(WRITER, "p", batch) == sql.register(WRITER, "p", batch)
        written = _dump(lite_db)
        assert written == _dump(database)
        assert len(written["dataset_versions"]) == 4
        assert len(written["audit_events"]) == 4
        assert written["audit_head"] == [(1, 4, written["audit_events"][-1][-1], 4)]
        for db in (lite_db, database):
            with db.read() as session:
                assert audit.verify(session) == []
        if database.url.get_backend_name() == "sqlite":
            assert _raw(tmp_path / "lite.db") == _raw(Path(str(database.url.database)))
    finally:
        lite_db.dispose()


def _writes(source: str, tables: str) -> list[str]:
    """Statements in ``source`` that write one of ``tables``: SQL text or ORM/Core."""
    sql = rf"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+({tables})\b"
    orm = r"(?<!class )\b(DatasetRow|DatasetVersionRow|AuditEventRow|AuditHeadRow)(\(|\.__table__)"
    return [m.group(0) for m in re.finditer(f"{sql}|{orm}", source, re.IGNORECASE)]


def test_each_table_and_the_audit_chain_have_one_writer() -> None:
    tables = "|".join(TABLES)
    writers = {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts and _writes(path.read_text("utf-8"), tables)
    }
    # Restoring a backup (backup/restore.py) copies whole tables, audit rows with their
    # hashes included, through each table's generic insert: a copy, not a second writer.
    assert writers == {"data/registration.py", "store/audit_append.py"}
    lite = Path(records_lite.__file__).read_text("utf-8")
    statements = re.findall(r"\b(?:SELECT|INSERT|UPDATE|DELETE)\b[^\"]*", lite)
    assert statements == ["SELECT version_num FROM alembic_version"]  # its schema check only
