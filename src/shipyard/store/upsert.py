"""``INSERT … ON CONFLICT`` for SQLite and PostgreSQL alike.

Both databases speak the same upsert; SQLAlchemy spells it per dialect. These
helpers pick the dialect from the session, so services stay portable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.orm import Session

__all__ = ["insert_ignoring_conflicts", "upsert"]


def _insert(session: Session, table: Table) -> Any:
    # Imported when used: each dialect's module costs tens of milliseconds at start-up.
    dialect = session.get_bind().dialect.name
    # SQLAlchemy 2.1 keeps an INSERT's row count only when asked (psycopg reported -1).
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table).execution_options(preserve_rowcount=True)
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).execution_options(preserve_rowcount=True)
    raise NotImplementedError(f"no upsert for {dialect}")  # pragma: no cover


def insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> int:
    """Insert ``rows``, skipping any whose ``keys`` match a stored row.

    Returns how many were inserted. Safe against concurrent inserters: the loser
    inserts nothing.
    """
    if not rows:
        return 0
    stmt = _insert(session, table).on_conflict_do_nothing(index_elements=list(keys))
    if len(rows) == 1:
        return int(session.execute(stmt, dict(rows[0])).rowcount)  # type: ignore[attr-defined]
    return int(session.execute(stmt, list(rows)).rowcount)  # type: ignore[attr-defined]


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
    where: Callable[[Any], ColumnElement[bool]] | None = None,
) -> int:
    """Insert ``rows``; where ``keys`` match a stored row, overwrite its ``update`` columns.

    ``where(excluded)`` (optional) limits the overwrite: it receives the proposed
    row (``excluded``) and may compare it with the stored one (``table.c``).
    Returns how many rows were inserted or overwritten.
    """
    if not rows:
        return 0
    stmt = _insert(session, table)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: excluded[name] for name in update},
        where=where(excluded) if where is not None else None,
    )
    if len(rows) == 1:
        return int(session.execute(stmt, dict(rows[0])).rowcount)  # type: ignore[attr-defined]
    return int(session.execute(stmt, list(rows)).rowcount)  # type: ignore[attr-defined]
