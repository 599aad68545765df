"""The seam between the tracking SDK and where runs are kept.

The SDK (:mod:`shipyard.runs`, :class:`~shipyard.tracking.run.ActiveRun`) only
talks to a :class:`TrackingBackend`. :class:`~shipyard.tracking.local_backend.
LocalBackend` calls the service in-process (embedded SQLite, or a PostgreSQL
store reached directly); :class:`~shipyard.tracking.remote_backend.
RemoteTrackingBackend` sends the same calls to a team server, so the SDK does
not change. :func:`open_backend` picks one for a context. Every method raises only errors of
:mod:`shipyard.core.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from shipyard.tracking.entities import (
    Experiment,
    LogBatch,
    MetricPoint,
    Resources,
    Run,
    RunDetail,
    RunEnd,
    RunPage,
    RunSpec,
    RunStart,
    RunStatus,
    Writer,
)

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.objects.api import ProjectObjects
    from shipyard.tracking.history import HistoryPage, MetricSummary

__all__ = ["TrackingBackend", "open_backend"]


class TrackingBackend(Protocol):
    """Runs of one project, as the SDK needs them."""

    @property
    def project(self) -> str: ...

    @property
    def objects(self) -> ProjectObjects:
        """Where the project's artifacts are stored (the workspace's, or the server's)."""
        ...

    def create_run(self, spec: RunSpec) -> Run:
        """Start a run (status running); creates the experiment if it is new."""
        ...

    def resume_run(self, run_id: str, writer: Writer) -> Run:
        """Mark the run running again; returns it as stored. NotFound if unknown."""
        ...

    def log_batch(
        self,
        batch: LogBatch,
        writer: Writer | None,
        *,
        key: str | None = None,
        patience: float | None = None,
    ) -> None:
        """Write metrics, params and tags in one transaction (all or nothing).

        Conflict if a run has ended or a param changes; NotFound for an unknown run.
        ``key`` makes the write idempotent (a server applies one key once);
        ``patience`` bounds how long it is retried, in seconds. Unavailable
        means its fate is unknown: send it again with the same key.
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
        key: str | None = None,
        patience: float | None = None,
    ) -> None:
        """Write the last batch and end the run, together. Conflict if it has ended.

        ``key`` and ``patience`` as for :meth:`log_batch`.
        """
        ...

    def write_runs(
        self, ends: Sequence[RunEnd], starts: Sequence[RunStart], writer: Writer | None = None
    ) -> list[Run]:
        """End runs, then start runs, in one transaction: all or nothing (a pipeline
        records its steps this way). A start with an outcome is a run recorded as
        already over. Returns the started runs, in order."""
        ...

    def tagged_run(self, experiment: str, value: str, want: str) -> tuple[str, str | None] | None:
        """The newest finished run of ``experiment`` whose lookup tag
        (:data:`~shipyard.tracking.entities.LOOKUP_TAG`, a step's cache key) is ``value``:
        its id and its tag ``want``, or None. One indexed query."""
        ...

    def log_input(self, run_id: str, path: str, size: int, digest: str) -> None:
        """Record a file the run read (lineage)."""
        ...

    def record_artifacts(self, run_id: str, items: Sequence[tuple[str, str, int]]) -> None:
        """Record files ``(path, digest, size)`` of the run whose bytes are already in
        ``objects``, together (one request remotely)."""
        ...

    def get_run(self, run_id: str) -> RunDetail:
        """One run in full; ``run_id`` may be a unique prefix. NotFound if unknown."""
        ...

    def spool_folders(self) -> list[Path]:
        """Where runs of this backend leave spool files (``runs sync`` reads them)."""
        ...

    def get_runs(self, run_ids: Sequence[str]) -> list[Run]:
        """Several runs (ids or unique prefixes), in the order asked."""
        ...

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        """Delete runs (ids or unique prefixes) with everything they logged, all or none."""
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

    def iter_metric_history(
        self,
        run_id: str,
        key: str,
        *,
        start_step: int | None = None,
        end_step: int | None = None,
        after: str | None = None,
        descending: bool = False,
        page_size: int | None = None,
    ) -> Iterator[HistoryPage]:
        """The history as pages of columns, read as they are consumed (bounded memory).

        NotFound for an unknown run (raised by the call, not the first page);
        InvalidInput for a bad range, page size or cursor.
        """
        ...

    def metric_history_summary(
        self,
        run_id: str,
        key: str,
        buckets: int,
        *,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> MetricSummary:
        """The history downsampled where it is stored: first, last, min, max per bucket."""
        ...

    def list_experiments(self) -> list[Experiment]:
        """The project's experiments with run counts and total cost."""
        ...

    def close(self) -> None:
        """Release connections; the backend is not used afterwards."""
        ...


def open_backend(context: Context, *, owns_context: bool = False) -> TrackingBackend:
    """The backend for ``context``: the team server it names, or the store in-process."""
    return context.open_tracking(owns_context=owns_context)
