"""Dataset records in the metadata store: register versions, list and look them up.

:class:`DatasetRecords` is the seam: :class:`SqlRecords` talks to the
database (embedded SQLite or PostgreSQL), :class:`HttpRecords` to a team
server's ``/api/v1/projects/{project}/datasets`` routes. Both check the same
roles (through the service on the server side): contributors register
versions, viewers read them. Registering is idempotent per content: adding
the same digest of a dataset again returns the existing version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shipyard.core.dataset_ref import DatasetRef
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal, Role
from shipyard.data.tables import DatasetRow, DatasetVersionRow
from shipyard.store import audit
from shipyard.store.projects import check_project_name

if TYPE_CHECKING:
    from shipyard.client.http import ApiClient
    from shipyard.store.db import Database

__all__ = [
    "DatasetRecords",
    "DatasetSummary",
    "DatasetVersion",
    "HttpRecords",
    "NewVersion",
    "SqlRecords",
    "check_dataset_name",
]

KINDS = ("file", "directory")


def check_dataset_name(name: str) -> str:
    if (
        not isinstance(name, str)
        or not name
        or len(name) > 1000
        or name.startswith("/")
        or any(part in ("", ".", "..") for part in name.split("/"))
        or "\0" in name
    ):
        raise InvalidInput(
            f"invalid dataset name {name!r}",
            hint="a dataset is named by its path in the workspace, such as data/train.parquet",
        )
    return name


@dataclass(frozen=True)
class NewVersion:
    """What ``data add`` knows about a version it stored."""

    name: str
    kind: str
    digest: Digest
    size: int
    files: int
    rows: int | None = None
    profile_digest: Digest | None = None
    git_commit: str | None = None
    message: str = ""

    def check(self) -> None:
        check_dataset_name(self.name)
        if self.kind not in KINDS:
            raise InvalidInput(f"dataset kind must be file or directory, not {self.kind!r}")
        for label, value in (("size", self.size), ("files", self.files)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(f"dataset {label} must be a whole number ≥ 0")
        if self.git_commit is not None and not (
            4 <= len(self.git_commit) <= 64
            and all(c in "0123456789abcdef" for c in self.git_commit)
        ):
            raise InvalidInput(f"{self.git_commit!r} is not a git commit id")
        if len(self.message) > 10_000:
            raise InvalidInput("a version message is limited to 10,000 characters")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["digest"] = self.digest.hex
        data["profile_digest"] = self.profile_digest.hex if self.profile_digest else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewVersion:
        profile = data.get("profile_digest")
        return cls(
            name=data["name"], kind=data["kind"], digest=Digest.parse(data["digest"]),
            size=data["size"], files=data["files"], rows=data.get("rows"),
            profile_digest=Digest.parse(profile) if profile else None,
            git_commit=data.get("git_commit"), message=data.get("message") or "",
        )  # fmt: skip


@dataclass(frozen=True)
class DatasetVersion:
    id: str
    project: str
    name: str
    version: int
    kind: str
    digest: Digest
    size: int
    files: int
    rows: int | None
    profile_digest: Digest | None
    git_commit: str | None
    message: str
    created_at: datetime
    created_by: str

    @property
    def ref(self) -> DatasetRef:
        return DatasetRef(self.project, self.name, self.digest, self.version)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["digest"] = self.digest.hex
        data["profile_digest"] = self.profile_digest.hex if self.profile_digest else None
        data["created_at"] = self.created_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetVersion:
        profile = data.get("profile_digest")
        return cls(
            id=data["id"], project=data["project"], name=data["name"], version=data["version"],
            kind=data["kind"], digest=Digest.parse(data["digest"]), size=data["size"],
            files=data["files"], rows=data.get("rows"),
            profile_digest=Digest.parse(profile) if profile else None,
            git_commit=data.get("git_commit"), message=data.get("message") or "",
            created_at=datetime.fromisoformat(data["created_at"]),
            created_by=data["created_by"],
        )  # fmt: skip


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    versions: int
    latest: DatasetVersion

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "versions": self.versions, "latest": self.latest.to_dict()}


class DatasetRecords(Protocol):
    def register(
        self, principal: Principal, project: str, items: Sequence[NewVersion]
    ) -> list[DatasetVersion]:
        """Record versions (one transaction); an already recorded digest returns its version."""
        ...

    def datasets(self, principal: Principal, project: str) -> list[DatasetSummary]: ...

    def versions(self, principal: Principal, project: str, name: str) -> list[DatasetVersion]:
        """Versions of ``name``, newest first; raises :class:`NotFound` for an unknown dataset."""
        ...

    def get(
        self, principal: Principal, project: str, name: str, *, version: int | None = None,
        digest: Digest | None = None,
    ) -> DatasetVersion:  # fmt: skip
        """One version, by number or digest (default: the newest); raises :class:`NotFound`."""
        ...


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

    def __init__(self, db: Database) -> None:
        self.db = db

    def register(
        self, principal: Principal, project: str, items: Sequence[NewVersion]
    ) -> list[DatasetVersion]:
        check_project_name(project)
        principal.require(Role.CONTRIBUTOR, project, "add dataset versions")
        for item in items:
            item.check()
        out = []
        with self.db.write() as session:
            for item in items:
                out.append(self._register_one(session, principal, project, item))
        return out

    def _register_one(
        self, session: Session, principal: Principal, project: str, item: NewVersion
    ) -> DatasetVersion:
        dataset = session.scalar(
            select(DatasetRow).where(DatasetRow.project == project, DatasetRow.name == item.name)
        )
        if dataset is None:
            dataset = DatasetRow(
                id=new_id(), project=project, name=item.name, created_by=principal.name
            )
            session.add(dataset)
            session.flush()
        existing = session.scalar(
            select(DatasetVersionRow).where(
                DatasetVersionRow.dataset_id == dataset.id,
                DatasetVersionRow.digest == item.digest.hex,
            )
        )
        if existing is not None:
            return _version(existing, dataset)
        number = (
            session.scalar(
                select(func.max(DatasetVersionRow.version)).where(
                    DatasetVersionRow.dataset_id == dataset.id
                )
            )
            or 0
        ) + 1
        row = DatasetVersionRow(
            id=new_id(), dataset_id=dataset.id, version=number, kind=item.kind,
            digest=item.digest.hex, size=item.size, files=item.files, rows=item.rows,
            profile_digest=item.profile_digest.hex if item.profile_digest else None,
            git_commit=item.git_commit, message=item.message, created_by=principal.name,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.record(
            session, principal, "dataset.version.add", f"dataset:{item.name}@v{number}",
            project=project,
            detail={"digest": item.digest.hex, "size": item.size, "files": item.files},
        )  # fmt: skip
        return _version(row, dataset)

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


class HttpRecords:
    """Dataset records on a team server (``SHIPYARD_URI=https://…``)."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @staticmethod
    def _base(project: str) -> str:
        return f"/api/v1/projects/{check_project_name(project)}/datasets"

    def register(
        self, principal: Principal, project: str, items: Sequence[NewVersion]
    ) -> list[DatasetVersion]:
        answer = self.client.post(
            self._base(project) + "/versions", {"versions": [i.to_dict() for i in items]}
        )
        return [DatasetVersion.from_dict(v) for v in answer["versions"]]

    def datasets(self, principal: Principal, project: str) -> list[DatasetSummary]:
        answer = self.client.get(self._base(project))
        return [
            DatasetSummary(d["name"], d["versions"], DatasetVersion.from_dict(d["latest"]))
            for d in answer["datasets"]
        ]

    def versions(self, principal: Principal, project: str, name: str) -> list[DatasetVersion]:
        answer = self.client.get(self._base(project) + "/versions", name=name)
        return [DatasetVersion.from_dict(v) for v in answer["versions"]]

    def get(
        self, principal: Principal, project: str, name: str, *, version: int | None = None,
        digest: Digest | None = None,
    ) -> DatasetVersion:  # fmt: skip
        answer = self.client.get(
            self._base(project) + "/version", name=name, version=version,
            digest=digest.hex if digest else None,
        )  # fmt: skip
        return DatasetVersion.from_dict(answer)
