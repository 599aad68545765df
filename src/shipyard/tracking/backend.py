"""The seam between the tracking SDK and where runs are kept.

The SDK (:mod:`shipyard.runs`, :class:`~shipyard.tracking.run.ActiveRun`) only
talks to a :class:`TrackingBackend`. :class:`~shipyard.tracking.local_backend.
LocalBackend` calls the service in-process (embedded SQLite, or a PostgreSQL
store reached directly); an HTTP backend for a team server implements the same
protocol, so the SDK does not change. Every method raises only errors of
:mod:`shipyard.core.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from shipyard.tracking.entities import (
    ArtifactRecord,
    Experiment,
    LogBatch,
    MetricPoint,
    Resources,
    Run,
    RunDetail,
    RunPage,
    RunSpec,
    RunStatus,
    Writer,
)

if TYPE_CHECKING:
    from shipyard.objects.progress import Progress

__all__ = ["TrackingBackend"]


class TrackingBackend(Protocol):
    """Runs of one project, as the SDK needs them."""

    @property
    def project(self) -> str: ...

    def create_run(self, spec: RunSpec) -> Run:
        """Start a run (status running); creates the experiment if it is new."""
        ...

    def resume_run(self, run_id: str, writer: Writer) -> Run:
        """Mark the run running again; returns it as stored. NotFound if unknown."""
        ...

    def log_batch(self, batch: LogBatch, writer: Writer | None) -> None:
        """Write metrics, params and tags in one transaction (all or nothing).

        Conflict if a run has ended or a param changes; NotFound for an unknown run.
        """
        ...

    def heartbeat(self, usage: dict[str, Resources], writer: Writer) -> None:
        """Note the runs' process is alive, with their resource totals so far."""
        ...

    def end_run(
        self,
        run_id: str,
        status: RunStatus,
        resources: Resources,
        *,
        exit_code: int | None = None,
        batch: LogBatch | None = None,
        writer: Writer | None = None,
    ) -> None:
        """Write the last batch and end the run, together. Conflict if it has ended."""
        ...

    def log_input(self, run_id: str, path: str, size: int, digest: str) -> None:
        """Record a file the run read (lineage)."""
        ...

    def record_artifact(self, run_id: str, path: str, digest: str, size: int) -> None:
        """Record a file of the run whose bytes are already in the object store."""
        ...

    def log_artifacts(
        self, run_id: str, files: Sequence[tuple[Path, str]], progress: Progress | None = None
    ) -> list[ArtifactRecord]:
        """Store local files in the object store as the run's artifacts (local path,
        artifact path) and record them; returns the records."""
        ...

    def get_run(self, run_id: str) -> RunDetail:
        """One run in full; ``run_id`` may be a unique prefix. NotFound if unknown."""
        ...

    def search_runs(
        self,
        *,
        experiments: Sequence[str] = (),
        filter: str = "",
        order_by: str = "",
        limit: int = 100,
        page_token: str | None = None,
    ) -> RunPage:
        """One page of matching runs. QuerySyntaxError for a malformed filter."""
        ...

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        """Every logged value of one metric of one run, by step."""
        ...

    def list_experiments(self) -> list[Experiment]:
        """The project's experiments with run counts and total cost."""
        ...

    def close(self) -> None:
        """Release connections; the backend is not used afterwards."""
        ...
