"""Registering dataset versions in the embedded SQLite store with the standard library.

Importing SQLAlchemy and the schema took a third of a second, as long as the
rest of a ``shipyard data add`` of one small file. So in the embedded store
``register`` writes the same rows, and the same chained audit entry, with
``sqlite3``, in one ``BEGIN IMMEDIATE`` transaction as the SQLAlchemy path
does. Anything else (reads), a store not at this Shipyard's schema revision,
or a URI with options goes through :class:`SqlRecords`; the contract tests run
both against one database.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.audit_chain import GENESIS, HEAD_ID, canonical_detail, entry_hash
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
from shipyard.store.revision import SCHEMA_HEAD

if TYPE_CHECKING:
    from shipyard.data.records_sql import SqlRecords

__all__ = ["LiteRecords", "embedded_path"]

_BUSY_TIMEOUT_S = 30
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite


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
    ) -> None:
        self.path = path
        self._fallback = fallback
        self._busy_timeout_s = busy_timeout_s
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
                out = [self._register_one(conn, principal, project, item) for item in items]
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

    def _register_one(
        self, conn: sqlite3.Connection, principal: Principal, project: str, item: NewVersion
    ) -> DatasetVersion:
        now = datetime.now(UTC)
        stamp = now.strftime(_TIME_FORMAT)
        found = conn.execute(
            "SELECT id FROM datasets WHERE project = ? AND name = ?", (project, item.name)
        ).fetchone()
        if found is None:
            dataset_id = new_id()
            conn.execute(
                "INSERT INTO datasets (id, project, name, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (dataset_id, project, item.name, stamp, principal.name),
            )
        else:
            dataset_id = found[0]
        existing = conn.execute(_SELECT_VERSION, (dataset_id, item.digest.hex)).fetchone()
        if existing is not None:
            return _version(existing, project, item.name)
        (last,) = conn.execute(
            "SELECT max(version) FROM dataset_versions WHERE dataset_id = ?", (dataset_id,)
        ).fetchone()
        number = (last or 0) + 1
        values = (
            new_id(), dataset_id, number, item.kind, item.digest.hex, item.size, item.files,
            item.profile_digest.hex if item.profile_digest else None, item.rows,
            item.git_commit, item.message, stamp, principal.name,
        )  # fmt: skip
        conn.execute(_INSERT_VERSION, values)
        _append_audit(
            conn, principal, "dataset.version.add", f"dataset:{item.name}@v{number}", project,
            {"digest": item.digest.hex, "size": item.size, "files": item.files},
        )  # fmt: skip
        return _version(values, project, item.name)

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


_SELECT_VERSION = """
    SELECT id, dataset_id, version, kind, digest, size, files, profile_digest, rows, git_commit,
           message, created_at, created_by
    FROM dataset_versions WHERE dataset_id = ? AND digest = ?"""
_INSERT_VERSION = """
    INSERT INTO dataset_versions (id, dataset_id, version, kind, digest, size, files,
        profile_digest, rows, git_commit, message, created_at, created_by)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def _version(row: Sequence[Any], project: str, name: str) -> DatasetVersion:
    (id_, _dataset, version, kind, digest, size, files, profile, rows, commit, message,
     created_at, created_by) = row  # fmt: skip
    return DatasetVersion(
        id=id_, project=project, name=name, version=version, kind=kind, digest=Digest(digest),
        size=size, files=files, rows=rows, profile_digest=Digest(profile) if profile else None,
        git_commit=commit, message=message,
        created_at=datetime.strptime(created_at, _TIME_FORMAT).replace(tzinfo=UTC),
        created_by=created_by,
    )  # fmt: skip


def _append_audit(
    conn: sqlite3.Connection,
    principal: Principal,
    action: str,
    target: str,
    project: str | None,
    detail: dict[str, Any],
) -> None:
    """The entry :func:`shipyard.store.audit.record` would append, chained the same way."""
    head = conn.execute(
        "SELECT last_hash, count FROM audit_head WHERE id = ?", (HEAD_ID,)
    ).fetchone()
    if head is None:
        conn.execute(
            "INSERT INTO audit_head (id, last_seq, last_hash, count) VALUES (?, 0, ?, 0)",
            (HEAD_ID, GENESIS),
        )
        head = (GENESIS, 0)
    prev, count = str(head[0]), int(head[1])
    data = canonical_detail(detail)
    now = datetime.now(UTC)
    source = principal.source
    digest = entry_hash(prev, now, principal.name, action, target, project, source, data)
    cursor = conn.execute(
        "INSERT INTO audit_events"
        " (time, principal, action, target, project, source, detail, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (now.strftime(_TIME_FORMAT), principal.name, action, target, project, source,
         json.dumps(data), prev, digest),
    )  # fmt: skip
    conn.execute(
        "UPDATE audit_head SET last_seq = ?, last_hash = ?, count = ? WHERE id = ?",
        (cursor.lastrowid, digest, count + 1, HEAD_ID),
    )
