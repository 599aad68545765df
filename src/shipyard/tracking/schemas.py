"""The JSON shapes of tracking's HTTP API: request bodies checked, answers documented.

Requests are validated strictly (no number where text is expected, steps
within 64 bits); answers are built by :mod:`shipyard.tracking.wire` and
described here so that ``/openapi.json`` tells clients (and Schemathesis)
exactly what comes back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictStr

from shipyard.server.fields import I64, ONLY_DECLARED_KEYS, WHOLE, DigestText, Pid, Size, Text
from shipyard.tracking.limits import ARTIFACT_PATH_MAX, KEY_MAX, NAME_MAX, VALUE_MAX

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
    "OutcomeIn",
    "ResumeIn",
    "RunDetailOut",
    "RunOut",
    "RunPageOut",
    "RunSpecIn",
    "SearchIn",
    "TaggedRunOut",
    "WriteRunsIn",
]

Number = StrictFloat | Annotated[StrictStr, Field(pattern=r"^([nN][aA][nN]|-?[iI][nN][fF])$")]
"""A number, or ``"nan"``, ``"inf"``, ``"-inf"`` in any case (JSON has no such numbers)."""
RunId = Annotated[Text, Field(min_length=1, max_length=64)]
KEY_PATTERN = r"^\w([\w\-./: ]*[\w\-./:])?$"
"""As :func:`~shipyard.tracking.limits.check_key`: no space at either end."""
Key = Annotated[StrictStr, Field(max_length=KEY_MAX, pattern=KEY_PATTERN)]
Value = Annotated[Text, Field(max_length=VALUE_MAX)]

EXPERIMENT_PATTERN = r"^\w[\w\-. ]*$"
"""As :func:`~shipyard.tracking.limits.check_experiment_name`."""
ExperimentName = Annotated[
    StrictStr, Field(min_length=1, max_length=NAME_MAX, pattern=EXPERIMENT_PATTERN)
]
RunName = Annotated[
    StrictStr,
    Field(max_length=NAME_MAX, pattern=r"^[^\x00\n\r\t]*[^\s\x00][^\x00\n\r\t]*$"),
]
"""As :func:`~shipyard.tracking.limits.check_run_name`: not blank, no control characters."""
Seconds = Annotated[StrictFloat, Field(ge=0, le=1e12)]
PAGE_TOKEN = r"^[A-Za-z0-9_=-]*$"  # noqa: S105  (base64url, not a secret)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WriterIn(_Strict):
    host: Annotated[Text, Field(max_length=255)]
    pid: Pid


class GitIn(_Strict):
    commit: Annotated[Text, Field(max_length=64)] | None = None
    branch: Annotated[Text, Field(max_length=250)] | None = None
    dirty: StrictBool | None = None
    diff_digest: Annotated[Text, Field(max_length=64)] | None = None


class EnvironmentIn(BaseModel):
    python: Annotated[Text, Field(max_length=100)]
    platform: Annotated[Text, Field(max_length=200)]
    packages: dict[
        Annotated[Text, Field(max_length=200)], Annotated[Text, Field(max_length=100)]
    ] = Field(max_length=20_000, json_schema_extra=ONLY_DECLARED_KEYS)
    executable: Annotated[Text, Field(max_length=4096)] = ""
    digest: StrictStr | None = Field(default=None, description="Recomputed by the server.")


class RunSpecIn(_Strict):
    experiment: ExperimentName = "default"
    name: RunName
    parent_id: RunId | None = None
    tags: dict[Key, Value] = Field(
        default_factory=dict, max_length=1000, json_schema_extra=ONLY_DECLARED_KEYS
    )
    host: Annotated[Text, Field(max_length=255)] = ""
    pid: Pid | None = None
    command: Annotated[Text, Field(max_length=100_000)] | None = None
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
    wall_seconds: Seconds = 0.0
    cpu_seconds: Seconds = 0.0
    peak_rss_bytes: Size = 0
    gpu_seconds: Seconds = 0.0


class HeartbeatIn(_Strict):
    usage: dict[RunId, ResourcesIn] = Field(max_length=10_000, json_schema_extra=ONLY_DECLARED_KEYS)
    writer: WriterIn


class ResumeIn(_Strict):
    writer: WriterIn


class EndRunIn(_Strict):
    status: Literal["finished", "failed", "killed"]
    resources: ResourcesIn = Field(default_factory=ResourcesIn)
    exit_code: Annotated[int, Field(strict=True, ge=-(2**31), le=2**31 - 1), WHOLE] | None = None
    batch: LogBatchIn | None = None
    writer: WriterIn | None = None


class OutcomeIn(_Strict):
    """How a run ended and its last values (metrics at step 0)."""

    status: Literal["finished", "failed", "killed"]
    resources: ResourcesIn = Field(default_factory=ResourcesIn)
    params: dict[Key, Value] = Field(
        default_factory=dict, max_length=1000, json_schema_extra=ONLY_DECLARED_KEYS
    )
    metrics: dict[Key, Number] = Field(
        default_factory=dict, max_length=1000, json_schema_extra=ONLY_DECLARED_KEYS
    )
    tags: dict[Key, Value] = Field(
        default_factory=dict, max_length=1000, json_schema_extra=ONLY_DECLARED_KEYS
    )


class RunEndIn(_Strict):
    run_id: RunId
    outcome: OutcomeIn


class RunStartIn(_Strict):
    spec: RunSpecIn
    outcome: OutcomeIn | None = None


class WriteRunsIn(_Strict):
    """Ends, then starts, in one transaction (a pipeline's step runs)."""

    ends: list[RunEndIn] = Field(default_factory=list, max_length=1000)
    starts: list[RunStartIn] = Field(default_factory=list, max_length=1000)
    writer: WriterIn | None = None


class TaggedRunOut(_Strict):
    run_id: str | None
    tag: str | None = None


class InputIn(_Strict):
    path: Annotated[Text, Field(min_length=1, max_length=4096)]
    size: Size
    digest: DigestText


class ArtifactIn(_Strict):
    path: Annotated[StrictStr, Field(min_length=1, max_length=ARTIFACT_PATH_MAX)]
    digest: DigestText
    size: Size


class ArtifactsIn(_Strict):
    """Files of a run, already uploaded to the project's objects; recorded together."""

    artifacts: list[ArtifactIn] = Field(min_length=1, max_length=100_000)


class SearchIn(_Strict):
    """A search as ``GET …/runs`` takes it, without the limits a URL puts on its length."""

    experiments: list[Annotated[Text, Field(max_length=NAME_MAX)]] = Field(
        default_factory=list, max_length=1000
    )
    filter: Annotated[Text, Field(max_length=100_000)] = ""
    order_by: Annotated[Text, Field(max_length=10_000)] = ""
    limit: Annotated[int, Field(strict=True, ge=1, le=10_000), WHOLE] = 100
    page_token: Annotated[StrictStr, Field(max_length=1_000_000, pattern=PAGE_TOKEN)] | None = None


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
