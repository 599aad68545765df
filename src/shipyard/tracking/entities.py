"""Value objects of tracking: what a run is, as the SDK, the CLI and (later) HTTP see it.

Pure: no database, no I/O. Every object has ``to_dict`` (JSON-ready, stable
keys) so the CLI's ``--json`` and the HTTP API print the same shape.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "LOOKUP_TAG",
    "ArtifactRecord",
    "Experiment",
    "GitState",
    "InputRecord",
    "LogBatch",
    "MetricPoint",
    "MetricRow",
    "ParamRow",
    "Resources",
    "Run",
    "RunDetail",
    "RunEnd",
    "RunOutcome",
    "RunPage",
    "RunSpec",
    "RunStart",
    "RunStatus",
    "TagRow",
    "Writer",
]


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    KILLED = "killed"

    @property
    def ended(self) -> bool:
        return self is not RunStatus.RUNNING


LOOKUP_TAG = "shipyard.step.key"
"""The one tag key whose values are indexed, for :meth:`TrackingBackend.tagged_run
<shipyard.tracking.backend.TrackingBackend.tagged_run>` (a pipeline step's cache key)."""


@dataclass(frozen=True, slots=True)
class Writer:
    """The process writing to a run (a run wrongly marked killed revives when it writes)."""

    host: str
    pid: int


# Rows as the batching logger buffers them: plain tuples, cheap to build in a loop.
MetricRow = tuple[str, str, float, int, int]
"""(run_id, key, value, step, timestamp in ms since the epoch)"""
ParamRow = tuple[str, str, str]
"""(run_id, key, value)"""
TagRow = tuple[str, str, str]
"""(run_id, key, value)"""


@dataclass
class LogBatch:
    """What one flush writes, in one transaction."""

    metrics: list[MetricRow] = field(default_factory=list)
    params: list[ParamRow] = field(default_factory=list)
    tags: list[TagRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.metrics) + len(self.params) + len(self.tags)

    def run_ids(self) -> set[str]:
        ids = {row[0] for row in self.metrics}
        ids.update(row[0] for row in self.params)
        ids.update(row[0] for row in self.tags)
        return ids


def _number(value: float) -> float | str:
    """JSON has no NaN or infinity: spell them as strings, as Python prints them."""
    return value if math.isfinite(value) else str(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": _number(self.value),
            "step": self.step,
            "timestamp_ms": self.timestamp_ms,
        }


@dataclass(frozen=True)
class GitState:
    """The code a run ran: commit, branch, and whether (and how) the tree differed."""

    commit: str | None = None
    branch: str | None = None
    dirty: bool | None = None
    diff_digest: str | None = None
    """BLAKE3 of the uncommitted changes (tracked diff plus untracked file names)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "branch": self.branch,
            "dirty": self.dirty,
            "diff_digest": self.diff_digest,
        }


@dataclass(frozen=True)
class Resources:
    """What a run consumed. ``peak_rss_bytes`` is the process's high-water mark."""

    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_bytes: int = 0
    gpu_seconds: float = 0.0

    def plus(self, other: Resources) -> Resources:
        """Two sessions of one (resumed) run: times add up, the peak is the larger."""
        return Resources(
            wall_seconds=self.wall_seconds + other.wall_seconds,
            cpu_seconds=self.cpu_seconds + other.cpu_seconds,
            peak_rss_bytes=max(self.peak_rss_bytes, other.peak_rss_bytes),
            gpu_seconds=self.gpu_seconds + other.gpu_seconds,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "wall_seconds": self.wall_seconds,
            "cpu_seconds": self.cpu_seconds,
            "peak_rss_bytes": self.peak_rss_bytes,
            "gpu_seconds": self.gpu_seconds,
        }


@dataclass(frozen=True)
class RunSpec:
    """Everything known when a run starts."""

    experiment: str
    name: str
    parent_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    host: str = ""
    pid: int | None = None
    command: str | None = None
    git: GitState | None = None
    environment: Mapping[str, Any] | None = None
    """Python version, platform and installed packages (stored once per distinct set)."""


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended and its last values (for :meth:`TrackingBackend.write_runs`)."""

    status: RunStatus
    resources: Resources = field(default_factory=Resources)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    """Logged at step 0, at the time of the write."""
    tags: Mapping[str, str] = field(default_factory=dict)

    def batch(self, run_id: str, timestamp_ms: int) -> LogBatch:
        return LogBatch(
            metrics=[(run_id, k, float(v), 0, timestamp_ms) for k, v in self.metrics.items()],
            params=[(run_id, k, v) for k, v in self.params.items()],
            tags=[(run_id, k, v) for k, v in self.tags.items()],
        )


@dataclass(frozen=True)
class RunEnd:
    """Ending a running run."""

    run_id: str
    outcome: RunOutcome


@dataclass(frozen=True)
class RunStart:
    """Starting a run; with an ``outcome``, a run recorded as already over."""

    spec: RunSpec
    outcome: RunOutcome | None = None


@dataclass(frozen=True)
class Run:
    """A run with its latest metric values, params and tags."""

    id: str
    project: str
    experiment: str
    name: str
    status: RunStatus
    start_time: datetime
    end_time: datetime | None
    created_by: str
    parent_id: str | None = None
    host: str = ""
    pid: int | None = None
    command: str | None = None
    exit_code: int | None = None
    resources: Resources = field(default_factory=Resources)
    cost: float = 0.0
    git: GitState = field(default_factory=GitState)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, MetricPoint] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "experiment": self.experiment,
            "name": self.name,
            "status": self.status.value,
            "parent_id": self.parent_id,
            "start_time": _time(self.start_time),
            "end_time": _time(self.end_time),
            "created_by": self.created_by,
            "host": self.host,
            "pid": self.pid,
            "command": self.command,
            "exit_code": self.exit_code,
            "resources": self.resources.to_dict(),
            "cost": self.cost,
            "git": self.git.to_dict(),
            "params": dict(self.params),
            "metrics": {k: _number(m.value) for k, m in self.metrics.items()},
            "metric_steps": {k: m.step for k, m in self.metrics.items()},
            "tags": dict(self.tags),
        }


@dataclass(frozen=True)
class InputRecord:
    """A file a run read: its path as given, size and BLAKE3 digest when logged."""

    path: str
    size: int
    digest: str
    logged_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "digest": self.digest,
            "logged_at": _time(self.logged_at),
        }


@dataclass(frozen=True)
class ArtifactRecord:
    """A file a run produced, stored in the object store under ``digest``."""

    path: str
    digest: str
    size: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "digest": self.digest,
            "size": self.size,
            "created_at": _time(self.created_at),
        }


@dataclass(frozen=True)
class RunDetail:
    """One run with everything ``runs show`` prints."""

    run: Run
    inputs: tuple[InputRecord, ...] = ()
    artifacts: tuple[ArtifactRecord, ...] = ()
    children: tuple[str, ...] = ()
    environment: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.run.to_dict() | {
            "inputs": [i.to_dict() for i in self.inputs],
            "artifacts": [a.to_dict() for a in self.artifacts],
            "children": list(self.children),
            "environment": dict(self.environment) if self.environment else None,
        }


@dataclass(frozen=True)
class RunPage:
    """One page of a search; pass ``next_page_token`` back to get the next one."""

    runs: tuple[Run, ...]
    next_page_token: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [r.to_dict() for r in self.runs],
            "next_page_token": self.next_page_token,
        }


@dataclass(frozen=True)
class Experiment:
    """A named group of runs in a project, with totals over its runs."""

    id: str
    project: str
    name: str
    created_at: datetime
    run_count: int = 0
    cost: float = 0.0
    last_run_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "name": self.name,
            "created_at": _time(self.created_at),
            "run_count": self.run_count,
            "cost": self.cost,
            "last_run_at": _time(self.last_run_at),
        }
