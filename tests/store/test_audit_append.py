"""The one writer of the audit chain, over either connection (sqlite3 or SQLAlchemy)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import exc, text

from shipyard.core.principal import LOCAL_OWNER
from shipyard.store import audit
from shipyard.store.audit_append import append_entry
from shipyard.store.db import Database
from shipyard.store.dbapi import DbApi, of_sqlalchemy, of_sqlite3

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _append(db: DbApi, target: str) -> int:
    return append_entry(
        db, principal="carol", action="model.alias", target=target, project="p", source="local",
        detail={"to": 1}, now=NOW,
    )  # fmt: skip


def test_a_store_without_its_head_row_gets_one_and_the_chain_holds(database: Database) -> None:
    with database.connect(write=True) as conn:
        conn.execute(text("DELETE FROM audit_head"))
    with database.write() as session:
        first = audit.record(session, LOCAL_OWNER, "model.alias", "model:a")
        second = audit.record(session, LOCAL_OWNER, "model.alias", "model:b")
    with database.read() as session:
        assert audit.verify(session) == []
        head = audit.chain_head(session)
    assert head is not None
    assert (head.seq, head.count) == (second, 2)
    assert second > first


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite3_and_sqlalchemy_appends_make_one_chain(database: Database) -> None:
    path = Path(str(database.url.database))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM audit_head")  # the sqlite3 side creates it too
        _append(of_sqlite3(conn), "model:a")
        conn.execute("COMMIT")
    finally:
        conn.close()
    with database.connect(write=True) as sa_conn:
        _append(of_sqlalchemy(sa_conn), "model:b")
    with database.read() as session:
        assert audit.verify(session) == []
        assert [e.target for e in audit.list_events(session)] == ["model:b", "model:a"]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_on_postgresql_an_append_waits_for_the_chain_head_held_by_another(
    database: Database,
) -> None:
    with database.connect(write=True) as first:
        _append(of_sqlalchemy(first), "model:first")  # the head row exists from here on
    with database.connect(write=True) as holder:
        _append(of_sqlalchemy(holder), "model:a")  # holds the head's row lock until commit
        with database.engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '50ms'")
            with pytest.raises(exc.OperationalError, match="lock timeout") as waited:
                _append(of_sqlalchemy(other), "model:b")
            # It waits at reading the head, before hashing on a head about to move.
            assert str(waited.value.statement).startswith("SELECT last_hash")
            other.rollback()
    with database.read() as session:
        assert audit.verify(session) == []
        assert audit.count_events(session) == 2
