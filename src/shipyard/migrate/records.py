"""What an MLflow store holds, as plain values, and the seam every kind of store reads through.

A :class:`MlflowSource` yields experiments, runs, metric points (in chunks, so
a run with a million points never sits in memory), artifact files and
registered models. Sources read MLflow's formats directly: Shipyard does not
depend on ``mlflow``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = [
    "STATUS_NAMES",
    "ArtifactFile",
    "MetricChunk",
    "MlflowExperiment",
    "MlflowModel",
    "MlflowModelVersion",
    "MlflowRun",
    "MlflowSource",
]

MetricChunk = list[tuple[str, float, int, int]]
"""(key, value, step, timestamp in ms), a bounded number of points."""

STATUS_NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
"""MLflow's numeric run statuses (the ``mlruns`` format writes numbers)."""


@dataclass(frozen=True)
class MlflowExperiment:
    id: str
    name: str
    deleted: bool = False
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MlflowRun:
    run_id: str
    experiment_id: str
    name: str
    status: str
    """MLflow's status name: FINISHED, FAILED, KILLED, RUNNING or SCHEDULED."""
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    deleted: bool = False
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MlflowModelVersion:
    name: str
    version: int
    run_id: str | None
    source: str
    storage_location: str
    description: str = ""


@dataclass(frozen=True)
class MlflowModel:
    name: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    versions: tuple[MlflowModelVersion, ...] = ()
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ArtifactFile:
    """One artifact: its path under the run and how to read its bytes."""

    path: str
    size: int
    local: Path | None = None
    """The file itself when the store is on this machine; else read by ``open_artifact``."""
    model_id: str = ""
    """For a file of a model logged by the run (MLflow 3), that model's id."""
    relative: str = ""
    """Its path inside that model's folder."""


class MlflowSource(Protocol):
    """One MLflow tracking store, read-only."""

    def describe(self) -> str:
        """The store, for messages (no credentials)."""
        ...

    def experiments(self) -> Iterator[MlflowExperiment]: ...

    def count_runs(self) -> int:
        """How many live runs the store holds (for the progress bar)."""
        ...

    def runs(self, experiment: MlflowExperiment) -> Iterator[MlflowRun]:
        """The experiment's runs, parents before children where the store orders them."""
        ...

    def metrics(self, run: MlflowRun) -> Iterator[MetricChunk]:
        """Every metric point the run logged, in bounded chunks."""
        ...

    def artifacts(self, run: MlflowRun) -> Iterator[ArtifactFile]:
        """The run's artifact files, and the files of models it logged (MLflow 3 keeps
        those apart, under ``mlflow-models/<model id>/``)."""
        ...

    def open_artifact(self, run: MlflowRun, item: ArtifactFile) -> BinaryIO:
        """The bytes of an artifact that is not a local file."""
        ...

    def models(self) -> Iterator[MlflowModel]: ...

    def model_folder(self, version: MlflowModelVersion, scratch: Path) -> Path | None:
        """A local folder holding the version's MLflow model (fetched into ``scratch``
        when remote), or None when the store no longer has it."""
        ...

    def close(self) -> None: ...
