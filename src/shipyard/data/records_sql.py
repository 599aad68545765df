"""Dataset records in a metadata database (SQLite or PostgreSQL), through SQLAlchemy.

Registration is :mod:`shipyard.data.registration`'s, run on this session's connection:
the embedded fast path (:mod:`shipyard.data.records_lite`) runs the same SQL with sqlite3.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shipyard.core.digest import Digest
from shipyard.core.errors import NotFound
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal, Role
from shipyard.data.records import (
    DatasetSummary,
    DatasetVersion,
    NewVersion,
    check_registration,
)
from shipyard.data.registration import Clock, Ids, register_version, utc_now
from shipyard.data.tables import DatasetRow, DatasetVersionRow
from shipyard.store.dbapi import of_sqlalchemy

if TYPE_CHECKING:
    from shipyard.store.db import Database

__all__ = ["SqlRecords"]


def _version(row: DatasetVersionRow, dataset: DatasetRow) -> DatasetVersion:
    return DatasetVersion(
        id=row.id, project=dataset.project, name=dataset.name, version=row.version,
        kind=row.kind, digest=Digest(row.digest), size=row.size, files=row.files, rows=row.rows,
        profile_digest=Digest(row.profile_digest) if row.profile_digest else None,
        git_commit=row.git_commit, message=row.message, created_at=row.created_at,
        created_by=row.created_by,
    )  # fmt: skip


class SqlRecords:
    """Dataset records in a metadata database."""

    def __init__(self, db: Database, *, clock: Clock = utc_now, ids: Ids = new_id) -> None:
        self.db = db
        self._clock, self._ids = clock, ids

    def register(
        self, principal: Principal, project: str, items: Sequence[NewVersion]
    ) -> list[DatasetVersion]:
        check_registration(principal, project, items)
        with self.db.write() as session:
            db = of_sqlalchemy(session.connection())
            return [
                register_version(db, principal, project, item, clock=self._clock, ids=self._ids)
                for item in items
            ]

    def datasets(self, principal: Principal, project: str) -> list[DatasetSummary]:
        principal.require(Role.VIEWER, project, "read datasets")
        with self.db.read() as session:
            counts = dict(
                session.execute(
                    select(DatasetVersionRow.dataset_id, func.count())
                    .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
                    .where(DatasetRow.project == project)
                    .group_by(DatasetVersionRow.dataset_id)
                ).all()
            )
            newest = (
                select(DatasetVersionRow.dataset_id, func.max(DatasetVersionRow.version).label("v"))
                .group_by(DatasetVersionRow.dataset_id)
                .subquery()
            )
            rows = session.execute(
                select(DatasetVersionRow, DatasetRow)
                .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
                .join(
                    newest,
                    (newest.c.dataset_id == DatasetVersionRow.dataset_id)
                    & (newest.c.v == DatasetVersionRow.version),
                )
                .where(DatasetRow.project == project)
                .order_by(DatasetRow.name)
            ).all()
            return [
                DatasetSummary(dataset.name, counts.get(dataset.id, 0), _version(row, dataset))
                for row, dataset in rows
            ]

    def versions(self, principal: Principal, project: str, name: str) -> list[DatasetVersion]:
        principal.require(Role.VIEWER, project, "read datasets")
        with self.db.read() as session:
            dataset = self._dataset(session, project, name)
            rows = session.scalars(
                select(DatasetVersionRow)
                .where(DatasetVersionRow.dataset_id == dataset.id)
                .order_by(DatasetVersionRow.version.desc())
            ).all()
            return [_version(row, dataset) for row in rows]

    def get(
        self, principal: Principal, project: str, name: str, *, version: int | None = None,
        digest: Digest | None = None,
    ) -> DatasetVersion:  # fmt: skip
        principal.require(Role.VIEWER, project, "read datasets")
        with self.db.read() as session:
            dataset = self._dataset(session, project, name)
            query = select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == dataset.id)
            if version is not None:
                query = query.where(DatasetVersionRow.version == version)
            if digest is not None:
                query = query.where(DatasetVersionRow.digest == digest.hex)
            row = session.scalar(query.order_by(DatasetVersionRow.version.desc()).limit(1))
            if row is None:
                what = f"v{version}" if version is not None else (digest.short if digest else "")
                raise NotFound(
                    f"dataset {name!r} has no version {what}".rstrip(),
                    hint=f"list its versions with `shipyard data log {name}`",
                )
            return _version(row, dataset)

    def _dataset(self, session: Session, project: str, name: str) -> DatasetRow:
        dataset = session.scalar(
            select(DatasetRow).where(DatasetRow.project == project, DatasetRow.name == name)
        )
        if dataset is None:
            raise NotFound(
                f"no dataset {name!r} in project {project!r}",
                hint="track it with `shipyard data add PATH`",
            )
        return dataset
