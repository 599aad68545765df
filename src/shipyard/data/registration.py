"""Registering one dataset version: its rows and its audit entry, written once.

:class:`~shipyard.data.records_sql.SqlRecords` (SQLAlchemy, SQLite or PostgreSQL)
and :class:`~shipyard.data.records_lite.LiteRecords` (the embedded store's ``sqlite3``
fast path) both call :func:`register_version` inside their own write transaction,
so the rows and the chained entry they write are the same by construction.
No SQLAlchemy import here (see :mod:`shipyard.store.dbapi`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from shipyard.core.digest import Digest
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal
from shipyard.data.records import DatasetVersion, NewVersion
from shipyard.store.audit_append import append_entry
from shipyard.store.dbapi import DbApi, Row, Value

__all__ = ["Clock", "Ids", "register_version", "utc_now"]

Clock = Callable[[], datetime]
"""Where the time of a registration comes from (tests inject a fixed one)."""
Ids = Callable[[], str]
"""Where new row ids come from (:func:`shipyard.core.ids.new_id`)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def register_version(
    db: DbApi,
    principal: Principal,
    project: str,
    item: NewVersion,
    *,
    clock: Clock = utc_now,
    ids: Ids = new_id,
) -> DatasetVersion:
    """Record ``item`` as the next version of its dataset, creating the dataset if new,
    and append the ``dataset.version.add`` audit entry; content the dataset already
    holds returns that version and writes nothing. The caller checked the item
    (:func:`~shipyard.data.records.check_registration`) and owns the transaction."""
    now = clock()
    found = db.first(_SELECT_DATASET, {"project": project, "name": item.name})
    if found is None:
        dataset_id = ids()
        db.rows(
            _INSERT_DATASET,
            {"id": dataset_id, "project": project, "name": item.name,
             "created_at": db.time(now), "created_by": principal.name},
        )  # fmt: skip
    else:
        dataset_id = _str(found[0])
    existing = db.first(_SELECT_VERSION, {"dataset_id": dataset_id, "digest": item.digest.hex})
    if existing is not None:
        return _version(db, existing, project, item.name)
    last = db.first(_LAST_VERSION, {"dataset_id": dataset_id})
    number = (_int(last[0]) if last is not None and last[0] is not None else 0) + 1
    row: Row = (
        ids(), dataset_id, number, item.kind, item.digest.hex, item.size, item.files,
        item.profile_digest.hex if item.profile_digest else None, item.rows,
        item.git_commit, item.message, db.time(now), principal.name,
    )  # fmt: skip
    db.rows(_INSERT_VERSION, dict(zip(_VERSION_COLUMNS, row, strict=True)))
    append_entry(
        db, principal=principal.name, action="dataset.version.add",
        target=f"dataset:{item.name}@v{number}", project=project, source=principal.source,
        detail={"digest": item.digest.hex, "size": item.size, "files": item.files}, now=now,
    )  # fmt: skip
    return _version(db, row, project, item.name)


def _version(db: DbApi, row: Row, project: str, name: str) -> DatasetVersion:
    (id_, _dataset, version, kind, digest, size, files, profile, rows, commit, message,
     created_at, created_by) = row  # fmt: skip
    return DatasetVersion(
        id=_str(id_), project=project, name=name, version=_int(version), kind=_str(kind),
        digest=Digest(_str(digest)), size=_int(size), files=_int(files),
        rows=None if rows is None else _int(rows),
        profile_digest=Digest(_str(profile)) if profile else None,
        git_commit=None if commit is None else _str(commit), message=_str(message),
        created_at=db.read_time(created_at), created_by=_str(created_by),
    )  # fmt: skip


def _str(value: Value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"not a text column value: {value!r}")
    return value


def _int(value: Value) -> int:
    if not isinstance(value, int):
        raise TypeError(f"not an integer column value: {value!r}")
    return value


_VERSION_COLUMNS = (  # the order of _SELECT_VERSION's columns, and of a Row
    "id", "dataset_id", "version", "kind", "digest", "size", "files", "profile_digest",
    "rows", "git_commit", "message", "created_at", "created_by",
)  # fmt: skip
_SELECT_DATASET = "SELECT id FROM datasets WHERE project = :project AND name = :name"
_INSERT_DATASET = (
    "INSERT INTO datasets (id, project, name, created_at, created_by)"
    " VALUES (:id, :project, :name, :created_at, :created_by)"
)
_SELECT_VERSION = (
    "SELECT id, dataset_id, version, kind, digest, size, files, profile_digest, rows,"
    " git_commit, message, created_at, created_by"
    " FROM dataset_versions WHERE dataset_id = :dataset_id AND digest = :digest"
)
_LAST_VERSION = "SELECT max(version) FROM dataset_versions WHERE dataset_id = :dataset_id"
_INSERT_VERSION = (
    "INSERT INTO dataset_versions (id, dataset_id, version, kind, digest, size, files,"
    " profile_digest, rows, git_commit, message, created_at, created_by)"
    " VALUES (:id, :dataset_id, :version, :kind, :digest, :size, :files, :profile_digest,"
    " :rows, :git_commit, :message, :created_at, :created_by)"
)
