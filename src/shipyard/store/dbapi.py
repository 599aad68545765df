"""One database connection as the shared writers speak to it: plain SQL text, either way.

The embedded store's fast path (``data add``) writes with the standard library's
``sqlite3``, sparing SQLAlchemy's import; everything else writes through SQLAlchemy.
What both write (the audit chain, dataset versions) is written once, against
:class:`DbApi`: the same SQL text, run on a ``sqlite3`` connection or through
SQLAlchemy's ``Connection.exec_driver_sql``, with values encoded as the SQLAlchemy
column types store them. Statements name parameters ``:name``; PostgreSQL's driver
gets them as ``%(name)s``. No SQLAlchemy import here: the fast path loads this module.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["DbApi", "Params", "Row", "Value", "json_text", "of_sqlalchemy", "of_sqlite3"]

Value = str | int | float | datetime | None
"""A parameter or a column value as the drivers pass them."""
Row = tuple[Value, ...]
Params = Mapping[str, Value]

SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy's DateTime stores a timestamp in SQLite (UTC, as UTCDateTime binds it)."""


class DbApi:
    """A connection inside a transaction its caller owns: runs SQL text, encodes values.

    Build one with :func:`of_sqlite3` or :func:`of_sqlalchemy`; it never begins,
    commits or rolls back.
    """

    def __init__(self, dialect: str, run: Callable[[str, Params], Sequence[Row]]) -> None:
        if dialect not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"no SQL writers for {dialect}")
        self.dialect = dialect
        self._run = run

    def rows(self, sql: str, params: Params) -> Sequence[Row]:
        """Every row the statement returns (none for a statement without RETURNING)."""
        return self._run(sql, params)

    def first(self, sql: str, params: Params) -> Row | None:
        found = self._run(sql, params)
        return found[0] if found else None

    @property
    def for_update(self) -> str:
        """The clause that locks the selected rows until commit: ``FOR UPDATE`` on
        PostgreSQL; nothing on SQLite, whose writers hold the whole file (``BEGIN
        IMMEDIATE``), as SQLAlchemy's ``with_for_update()`` renders it there."""
        return " FOR UPDATE" if self.dialect == "postgresql" else ""

    def time(self, value: datetime) -> Value:
        """``value`` as a UTCDateTime column stores it."""
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        utc = value.astimezone(UTC)
        return utc.strftime(SQLITE_TIME_FORMAT) if self.dialect == "sqlite" else utc

    def read_time(self, value: Value) -> datetime:
        """A stored UTCDateTime value as a timezone-aware datetime in UTC."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise TypeError(f"not a stored timestamp: {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_text(data: Mapping[str, object]) -> str:
    """``data`` as SQLAlchemy's JSON type stores it (its default serializer)."""
    return json.dumps(data)


def of_sqlite3(conn: sqlite3.Connection) -> DbApi:
    """Statements on a standard-library connection (named parameters as written)."""

    def run(sql: str, params: Params) -> Sequence[Row]:
        return conn.execute(sql, params).fetchall()

    return DbApi("sqlite", run)


def of_sqlalchemy(conn: Connection) -> DbApi:
    """Statements on the DB-API connection under a SQLAlchemy one, in its transaction."""
    dialect = conn.dialect.name
    convert = _pyformat if dialect == "postgresql" else _as_written

    def run(sql: str, params: Params) -> Sequence[Row]:
        result = conn.exec_driver_sql(convert(sql), dict(params))
        return [tuple(row) for row in result.fetchall()] if result.returns_rows else []

    return DbApi(dialect, run)


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=128)
def _pyformat(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (a literal ``%`` doubled)."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


def _as_written(sql: str) -> str:
    return sql
