"""HTTP routes of dataset records (thin over :class:`SqlRecords` and :class:`DatasetBrowser`).

Object bytes do not travel here (the object store's transfer endpoints
carry them); these routes list datasets, their versions, and register a
version whose objects were pushed; for the web UI, a version's profile and
two versions compared, as compact figures. Viewers read, contributors register.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from shipyard.context import Context
from shipyard.core.digest import Digest
from shipyard.data.browsing import DatasetBrowser
from shipyard.data.records import DatasetVersion, NewVersion
from shipyard.data.records_sql import SqlRecords
from shipyard.server.fields import BIG, DigestText, ProjectName, Size, Text
from shipyard.server.security import request_context
from shipyard.store.projects import check_project_name

__all__ = ["router"]

router = APIRouter(tags=["datasets"])
Ctx = Annotated[Context, Depends(request_context)]
Project = Annotated[ProjectName, Path()]
DatasetName = Annotated[Text, Field(min_length=1, max_length=1000)]


class VersionOut(BaseModel):
    id: str
    project: str
    name: str
    version: int
    kind: str
    digest: str
    size: int
    files: int
    rows: int | None
    profile_digest: str | None
    git_commit: str | None
    message: str
    created_at: datetime
    created_by: str


class DatasetOut(BaseModel):
    name: str
    versions: int
    latest: VersionOut


class DatasetList(BaseModel):
    datasets: list[DatasetOut]


class VersionList(BaseModel):
    versions: list[VersionOut]


class HistogramOut(BaseModel):
    edges: list[float | None] = Field(description="Bin edges (seconds since 1970 for dates)")
    counts: list[float | None] = Field(description="Estimated rows in each bin")


class TopValueOut(BaseModel):
    value: str
    count: int


Figure = int | float | str | None
"""A number, or a date as text (the minimum and maximum of a datetime column)."""


class ColumnOut(BaseModel):
    name: str
    dtype: str
    kind: str
    rows: int
    nulls: int
    null_fraction: float | None
    distinct: int | float | None = Field(description="Estimated unless distinct_exact")
    distinct_exact: bool
    mean: int | float | None
    std: int | float | None
    min: Figure
    max: Figure
    histogram: HistogramOut | None
    top: list[TopValueOut] | None = Field(description="Most frequent values (categorical)")
    top_exact: bool | None


class FileProfileOut(BaseModel):
    path: str
    rows: int
    columns_total: int
    columns: list[ColumnOut]
    note: str | None


class ProfileOut(BaseModel):
    version: VersionOut
    files: list[FileProfileOut]
    files_total: int
    note: str | None = Field(description="Why there is no profile (`no profile: …`)")


class StatOut(BaseModel):
    stat: str
    before: Figure
    after: Figure
    changed: bool


class ColumnChangeOut(BaseModel):
    name: str
    dtype_before: str
    dtype_after: str
    kind_before: str
    kind_after: str
    changed: bool
    stats: list[StatOut]


class TypeChangeOut(BaseModel):
    name: str
    before: str
    after: str


class FileDiffOut(BaseModel):
    path: str
    change: Literal["added", "removed", "modified"]
    size_before: int | None
    size_after: int | None
    rows_before: int | None
    rows_after: int | None
    columns_added: list[str]
    columns_removed: list[str]
    types_changed: list[TypeChangeOut]
    columns: list[ColumnChangeOut] = Field(description="Columns both versions have")
    columns_total: int
    note: str | None


class DiffOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    before: VersionOut = Field(alias="from")
    after: VersionOut = Field(alias="to")
    files: list[FileDiffOut]
    files_total: int
    note: str | None


class VersionIn(BaseModel):
    name: DatasetName
    kind: Literal["file", "directory"]
    digest: DigestText
    size: Size
    files: Size
    rows: Size | None = None
    profile_digest: DigestText | None = None
    git_commit: Annotated[StrictStr, Field(pattern="^[0-9a-f]{4,64}$")] | None = None
    message: Annotated[Text, Field(max_length=10_000)] = ""


class RegisterRequest(BaseModel):
    versions: list[VersionIn] = Field(min_length=1, max_length=1000)


def _out(v: DatasetVersion) -> VersionOut:
    return VersionOut(**v.to_dict())


def _records(ctx: Context) -> SqlRecords:
    return SqlRecords(ctx.db)


@router.get(
    "/projects/{project}/datasets", summary="Datasets of a project with their newest version"
)
def list_datasets(ctx: Ctx, project: Project) -> DatasetList:
    found = _records(ctx).datasets(ctx.principal, check_project_name(project))
    return DatasetList(
        datasets=[
            DatasetOut(name=d.name, versions=d.versions, latest=_out(d.latest)) for d in found
        ]
    )


@router.get(
    "/projects/{project}/datasets/versions", summary="Versions of one dataset, newest first"
)
def list_versions(ctx: Ctx, project: Project, name: Annotated[DatasetName, Query()]) -> VersionList:
    found = _records(ctx).versions(ctx.principal, check_project_name(project), name)
    return VersionList(versions=[_out(v) for v in found])


@router.get("/projects/{project}/datasets/version", summary="One version, by number or digest")
def get_version(
    ctx: Ctx,
    project: Project,
    name: Annotated[DatasetName, Query()],
    version: Annotated[int | None, Query(ge=1, le=BIG)] = None,
    digest: Annotated[DigestText | None, Query()] = None,
) -> VersionOut:
    wanted = Digest.parse(digest) if digest else None
    found = _records(ctx).get(
        ctx.principal, check_project_name(project), name, version=version, digest=wanted
    )
    return _out(found)


@router.get(
    "/projects/{project}/datasets/profile",
    summary="A version's profile: per file and column, counts, figures and a histogram",
)
def get_profile(
    ctx: Ctx,
    project: Project,
    name: Annotated[DatasetName, Query()],
    version: Annotated[int, Query(ge=1, le=BIG)],
) -> ProfileOut:
    return ProfileOut.model_validate(DatasetBrowser(ctx).profile(project, name, version))


@router.get(
    "/projects/{project}/datasets/diff",
    response_model_by_alias=True,
    summary="Two versions compared: files, schema and each common column's figures",
)
def get_diff(
    ctx: Ctx,
    project: Project,
    name: Annotated[DatasetName, Query()],
    before: Annotated[int, Query(alias="from", ge=1, le=BIG)],
    after: Annotated[int, Query(alias="to", ge=1, le=BIG)],
) -> DiffOut:
    return DiffOut.model_validate(DatasetBrowser(ctx).diff(project, name, before, after))


@router.post(
    "/projects/{project}/datasets/versions",
    summary="Record dataset versions (idempotent per content)",
)
def register_versions(ctx: Ctx, project: Project, body: RegisterRequest) -> VersionList:
    items = [
        NewVersion(
            name=v.name,
            kind=v.kind,
            digest=Digest.parse(v.digest),
            size=v.size,
            files=v.files,
            rows=v.rows,
            profile_digest=Digest.parse(v.profile_digest) if v.profile_digest else None,
            git_commit=v.git_commit,
            message=v.message,
        )
        for v in body.versions
    ]
    done = _records(ctx).register(ctx.principal, check_project_name(project), items)
    return VersionList(versions=[_out(v) for v in done])
