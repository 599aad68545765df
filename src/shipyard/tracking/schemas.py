"""The JSON shapes of tracking's HTTP API: request bodies checked, answers documented.

Requests are validated strictly (no number where text is expected, steps
within 64 bits); answers are built by :mod:`shipyard.tracking.wire` and
described here so that ``/openapi.json`` tells clients (and Schemathesis)
exactly what comes back.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

__all__ = [
    "ArtifactIn",
    "ArtifactsIn",
    "DeleteRunsIn",
    "EndRunIn",
    "ExperimentOut",
    "HeartbeatIn",
    "InputIn",
    "LogBatchIn",
    "MetricPointOut",
    "ResumeIn",
    "RunDetailOut",
    "RunOut",
    "RunPageOut",
    "RunSpecIn",
    "SearchIn",
]

I64 = Annotated[StrictInt, Field(ge=-(2**63 - 1), le=2**63 - 1)]
Number = StrictFloat | StrictInt | StrictStr
"""A float, or ``"nan"``, ``"inf"``, ``"-inf"`` (JSON has no such numbers)."""
RunId = Annotated[StrictStr, Field(min_length=1, max_length=64)]
Key = Annotated[StrictStr, Field(max_length=250)]
Value = Annotated[StrictStr, Field(max_length=8000)]
Digest = Annotated[StrictStr, Field(pattern=r"^(blake3:)?[0-9a-fA-F]{64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WriterIn(_Strict):
    host: Annotated[StrictStr, Field(max_length=255)]
    pid: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]


class GitIn(_Strict):
    commit: Annotated[StrictStr, Field(max_length=64)] | None = None
    branch: Annotated[StrictStr, Field(max_length=250)] | None = None
    dirty: bool | None = None
    diff_digest: Annotated[StrictStr, Field(max_length=64)] | None = None


class EnvironmentIn(BaseModel):
    python: Annotated[StrictStr, Field(max_length=100)]
    platform: Annotated[StrictStr, Field(max_length=200)]
    packages: dict[
        Annotated[StrictStr, Field(max_length=200)], Annotated[StrictStr, Field(max_length=100)]
    ] = Field(max_length=20_000)
    executable: Annotated[StrictStr, Field(max_length=4096)] = ""
    digest: StrictStr | None = Field(default=None, description="Recomputed by the server.")


class RunSpecIn(_Strict):
    experiment: Annotated[StrictStr, Field(min_length=1, max_length=250)] = "default"
    name: Annotated[StrictStr, Field(min_length=1, max_length=250)]
    parent_id: RunId | None = None
    tags: dict[Key, Value] = Field(default_factory=dict, max_length=1000)
    host: Annotated[StrictStr, Field(max_length=255)] = ""
    pid: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)] | None = None
    command: Annotated[StrictStr, Field(max_length=100_000)] | None = None
    git: GitIn | None = None
    environment: EnvironmentIn | None = None


MetricIn = tuple[RunId, Key, Number, I64, I64]
ParamIn = tuple[RunId, Key, Value]


class LogBatchIn(_Strict):
    """Rows as arrays: metrics ``[run_id, key, value, step, timestamp_ms]``, params and tags
    ``[run_id, key, value]``. All land in one transaction, or none does."""

    metrics: list[MetricIn] = Field(default_factory=list, max_length=2_000_000)
    params: list[ParamIn] = Field(default_factory=list, max_length=100_000)
    tags: list[ParamIn] = Field(default_factory=list, max_length=100_000)
    writer: WriterIn | None = None


class ResourcesIn(_Strict):
    wall_seconds: Annotated[StrictFloat | StrictInt, Field(ge=0, le=1e12)] = 0.0
    cpu_seconds: Annotated[StrictFloat | StrictInt, Field(ge=0, le=1e12)] = 0.0
    peak_rss_bytes: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)] = 0
    gpu_seconds: Annotated[StrictFloat | StrictInt, Field(ge=0, le=1e12)] = 0.0


class HeartbeatIn(_Strict):
    usage: dict[RunId, ResourcesIn] = Field(max_length=10_000)
    writer: WriterIn


class ResumeIn(_Strict):
    writer: WriterIn


class EndRunIn(_Strict):
    status: Annotated[StrictStr, Field(pattern="^(finished|failed|killed)$")]
    resources: ResourcesIn = Field(default_factory=ResourcesIn)
    exit_code: Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)] | None = None
    batch: LogBatchIn | None = None
    writer: WriterIn | None = None


class InputIn(_Strict):
    path: Annotated[StrictStr, Field(min_length=1, max_length=4096)]
    size: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)]
    digest: Digest


class ArtifactIn(_Strict):
    path: Annotated[StrictStr, Field(min_length=1, max_length=1000)]
    digest: Digest
    size: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)]


class ArtifactsIn(_Strict):
    """Files of a run, already uploaded to the project's objects; recorded together."""

    artifacts: list[ArtifactIn] = Field(min_length=1, max_length=100_000)


class SearchIn(_Strict):
    """A search as ``GET …/runs`` takes it, without the limits a URL puts on its length."""

    experiments: list[Annotated[StrictStr, Field(max_length=250)]] = Field(
        default_factory=list, max_length=1000
    )
    filter: Annotated[StrictStr, Field(max_length=100_000)] = ""
    order_by: Annotated[StrictStr, Field(max_length=10_000)] = ""
    limit: Annotated[StrictInt, Field(ge=1, le=10_000)] = 100
    page_token: Annotated[StrictStr, Field(max_length=1_000_000)] | None = None


class DeleteRunsIn(_Strict):
    ids: list[RunId] = Field(min_length=1, max_length=10_000)


# -- answers -------------------------------------------------------------------------


class GitOut(BaseModel):
    commit: str | None
    branch: str | None
    dirty: bool | None
    diff_digest: str | None


class ResourcesOut(BaseModel):
    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    gpu_seconds: float


class RunOut(BaseModel):
    id: str
    project: str
    experiment: str
    name: str
    status: str
    parent_id: str | None
    start_time: str
    end_time: str | None
    created_by: str
    host: str
    pid: int | None
    command: str | None
    exit_code: int | None
    resources: ResourcesOut
    cost: float
    git: GitOut
    params: dict[str, str]
    metrics: dict[str, float | str] = Field(description="Latest values; 'nan'/'inf' as text.")
    metric_steps: dict[str, int]
    metric_timestamps: dict[str, int]
    tags: dict[str, str]


class InputOut(BaseModel):
    path: str
    size: int
    digest: str
    logged_at: str


class ArtifactOut(BaseModel):
    path: str
    digest: str
    size: int
    created_at: str


class RunDetailOut(RunOut):
    inputs: list[InputOut]
    artifacts: list[ArtifactOut]
    children: list[str]
    environment: dict[str, Any] | None


class RunPageOut(BaseModel):
    runs: list[RunOut]
    next_page_token: str | None


class MetricPointOut(BaseModel):
    key: str
    value: float | str
    step: int
    timestamp_ms: int


class ExperimentOut(BaseModel):
    id: str
    project: str
    name: str
    created_at: str
    run_count: int
    cost: float
    last_run_at: str | None
