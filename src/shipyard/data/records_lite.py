"""Registering dataset versions in the embedded SQLite store with the standard library.

Importing SQLAlchemy and the schema took a third of a second, as long as the
rest of a ``shipyard data add`` of one small file. So in the embedded store
``register`` runs the one registration (:mod:`shipyard.data.registration`, whose SQL
and audit append :class:`SqlRecords` runs too) on a ``sqlite3`` connection, in one
``BEGIN IMMEDIATE`` transaction as the SQLAlchemy path does. Anything else (reads),
a store not at this Shipyard's schema revision, or a URI with options goes through
:class:`SqlRecords`; the contract tests run both against one database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import SchemaOutOfDate, Unavailable
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal
from shipyard.data.records import (
    DatasetSummary,
    DatasetVersion,
    NewVersion,
    check_registration,
)
from shipyard.data.registration import Clock, Ids, register_version, utc_now
from shipyard.store.dbapi import of_sqlite3
from shipyard.store.revision import SCHEMA_HEAD

if TYPE_CHECKING:
    from shipyard.data.records_sql import SqlRecords

__all__ = ["LiteRecords", "embedded_path"]

_BUSY_TIMEOUT_S = 30


def embedded_path(uri: str) -> Path | None:
    """The file of a plain ``sqlite:///path`` URI; None for anything else."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix) or "?" in uri:
        return None
    path = uri[len(prefix) :]
    if not path or path == ":memory:":
        return None
    return Path(path)


class LiteRecords:
    """Dataset records of the embedded store: ``register`` here, the rest via SqlRecords."""

    def __init__(
        self,
        path: Path,
        fallback: Callable[[], SqlRecords],
        *,
        busy_timeout_s: float = _BUSY_TIMEOUT_S,
        clock: Clock = utc_now,
        ids: Ids = new_id,
    ) -> None:
        self.path = path
        self._fallback = fallback
        self._busy_timeout_s = busy_timeout_s
        self._clock, self._ids = clock, ids
        self._sql: SqlRecords | None = None

    @property
    def sql(self) -> SqlRecords:
        if self._sql is None:
            self._sql = self._fallback()
        return self._sql

    def register(
        self, principal: Principal, project: str, items: Sequence[NewVersion]
    ) -> list[DatasetVersion]:
        check_registration(principal, project, items)
        conn = self._connect()
        if conn is None:
            return self.sql.register(principal, project, items)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                db = of_sqlite3(conn)
                out = [
                    register_version(db, principal, project, item, clock=self._clock, ids=self._ids)
                    for item in items
                ]
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return out
        except sqlite3.Error as error:  # locked, read-only, damaged…: one clear line
            raise self._translate(error) from None
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection | None:
        """A connection set up as :class:`Database` sets its own; None when the file is
        missing or not at this Shipyard's schema (the SQLAlchemy path creates or
        upgrades it, or says why not)."""
        if not self.path.is_file():
            return None
        try:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
        except sqlite3.Error:
            return None
        try:
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_s * 1000)}")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            row = None
        if row is None or row[0] != SCHEMA_HEAD:
            conn.close()
            return None
        return conn

    def _translate(self, error: sqlite3.Error) -> Exception:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "locked" in reason or "busy" in reason:
            return Unavailable(
                f"the metadata store at {self.path} stayed locked for {self._busy_timeout_s:g} s",
                hint="another process holds a long write; retry when it has finished",
            )
        if "no such" in reason:
            return SchemaOutOfDate(
                f"the metadata store at {self.path} lacks part of the schema ({reason})",
                hint="run `shipyard db upgrade`",
            )
        return Unavailable(
            f"cannot use the metadata store at {self.path}: {reason}",
            hint="check that the file's folder exists and is writable",
        )

    # -- reads: through SQLAlchemy ------------------------------------------------

    def datasets(self, principal: Principal, project: str) -> list[DatasetSummary]:
        return self.sql.datasets(principal, project)

    def versions(self, principal: Principal, project: str, name: str) -> list[DatasetVersion]:
        return self.sql.versions(principal, project, name)

    def get(
        self, principal: Principal, project: str, name: str, *, version: int | None = None,
        digest: Digest | None = None,
    ) -> DatasetVersion:  # fmt: skip
        return self.sql.get(principal, project, name, version=version, digest=digest)
