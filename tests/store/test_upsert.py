"""``INSERT … ON CONFLICT`` helpers count what they did, on SQLite and on PostgreSQL alike.

Callers decide on the count (audit a project only when it was created, replay
an answer another request stored first), so -1 ("unknown", what SQLAlchemy 2.1
reported through psycopg unless asked to keep it) would be a wrong answer.
"""

from __future__ import annotations

from shipyard.server.tables import IdempotencyRow
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.upsert import insert_ignoring_conflicts, upsert

TABLE = IdempotencyRow.__table__


def _row(key: str, status: int | None) -> dict[str, object]:
    return {"key": key, "created_at": utcnow(), "status": status, "content_type": "x", "body": b""}


def test_insert_ignoring_conflicts_counts_inserted_rows(database: Database) -> None:
    with database.write() as session:
        assert insert_ignoring_conflicts(session, TABLE, [_row("a", 1)], ["key"]) == 1  # type: ignore[arg-type]
        assert insert_ignoring_conflicts(session, TABLE, [_row("a", 1)], ["key"]) == 0  # type: ignore[arg-type]
        rows = [_row("a", 1), _row("b", 1), _row("c", 1)]
        assert insert_ignoring_conflicts(session, TABLE, rows, ["key"]) == 2  # type: ignore[arg-type]


def test_upsert_counts_only_rows_its_condition_let_it_overwrite(database: Database) -> None:
    def claim(key: str) -> int:
        with database.write() as session:
            return upsert(
                session, TABLE, [_row(key, 204)], ["key"], ["status"],  # type: ignore[arg-type]
                where=lambda _new: TABLE.c.status.is_(None),
            )  # fmt: skip

    with database.write() as session:
        insert_ignoring_conflicts(session, TABLE, [_row("pending", None)], ["key"])  # type: ignore[arg-type]
    assert claim("new") == 1
    assert claim("pending") == 1  # overwritten: its status was None
    assert claim("new") == 0  # kept: it has a status
