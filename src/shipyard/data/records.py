"""Dataset records: the value objects and the :class:`DatasetRecords` seam.

:class:`~shipyard.data.records_sql.SqlRecords` talks to the database
(embedded SQLite or PostgreSQL), :class:`~shipyard.data.records_http.HttpRecords`
to a team server's ``/api/v1/projects/{project}/datasets`` routes. Both check the same
roles (through the service on the server side): contributors register
versions, viewers read them. Registering is idempotent per content: adding
the same digest of a dataset again returns the existing version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from shipyard.core.dataset_ref import DatasetRef
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput
from shipyard.core.principal import Principal, Role
from shipyard.core.project_names import check_project_name
from shipyard.core.relpath import check_relpath

__all__ = [
    "DatasetRecords",
    "DatasetSummary",
    "DatasetVersion",
    "NewVersion",
    "check_dataset_name",
    "check_registration",
]

KINDS = ("file", "directory")


def check_dataset_name(name: str) -> str:
    """``name`` if it is a workspace path (:func:`check_relpath`) of at most 1,000 characters."""
    if isinstance(name, str) and len(name) > 1000:
        raise InvalidInput(
            "a dataset name is at most 1,000 characters",
            hint="a dataset is named by its path in the workspace, such as data/train.parquet",
        )
    return check_relpath(name, what="dataset name")


def check_registration(principal: Principal, project: str, items: Sequence[NewVersion]) -> None:
    """What every records backend checks before writing a version: the project's name,
    the contributor role, and each version's fields."""
    check_project_name(project)
    principal.require(Role.CONTRIBUTOR, project, "add dataset versions")
    for item in items:
        item.check()


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
