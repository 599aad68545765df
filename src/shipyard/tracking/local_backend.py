"""The tracking backend that calls the service in this process."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.context import Context
from shipyard.core.principal import Principal
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
from shipyard.tracking.service import TrackingService

if TYPE_CHECKING:
    from shipyard.objects.api import ProjectObjects
    from shipyard.tracking.history import HistoryPage, MetricSummary

__all__ = ["LocalBackend"]


class LocalBackend:
    """:class:`~shipyard.tracking.backend.TrackingBackend` over a :class:`Context`."""

    def __init__(self, context: Context, *, owns_context: bool = False) -> None:
        self.context = context
        self.service = TrackingService(context.db, context.settings.cost)
        self._owns_context = owns_context

    @property
    def project(self) -> str:
        return self.context.project

    @property
    def objects(self) -> ProjectObjects:
        return self.context.project_objects

    @property
    def _principal(self) -> Principal:
        return self.context.principal

    def create_run(self, spec: RunSpec) -> Run:
        return self.service.create_run(self._principal, self.project, spec)

    def resume_run(self, run_id: str, writer: Writer) -> Run:
        run_id = self.service.resolve(self._principal, run_id)
        return self.service.resume_run(self._principal, run_id, writer)

    def log_batch(
        self,
        batch: LogBatch,
        writer: Writer | None,
        *,
        key: str | None = None,
        patience: float | None = None,
    ) -> None:
        # In-process, a failed transaction wrote nothing: the key is not needed, and the
        # database's busy timeout bounds the wait.
        self.service.log(self._principal, batch, writer)

    def heartbeat(self, usage: dict[str, Resources], writer: Writer) -> None:
        self.service.heartbeat(self._principal, usage, writer)

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
        self.service.end_run(
            self._principal,
            run_id,
            status,
            resources,
            exit_code=exit_code,
            batch=batch,
            writer=writer,
        )

    def write_runs(
        self, ends: Sequence[RunEnd], starts: Sequence[RunStart], writer: Writer | None = None
    ) -> list[Run]:
        if not ends and not starts:
            return []
        return self.service.write_runs(self._principal, self.project, ends, starts, writer)

    def tagged_run(self, experiment: str, value: str, want: str) -> tuple[str, str | None] | None:
        return self.service.tagged_run(self._principal, self.project, experiment, value, want)

    def log_input(self, run_id: str, path: str, size: int, digest: str) -> None:
        self.service.log_input(self._principal, run_id, path, size, digest)

    def record_artifacts(self, run_id: str, items: Sequence[tuple[str, str, int]]) -> None:
        from shipyard.tracking.artifact_records import StoreHolder, record_artifacts

        holder = StoreHolder(self.objects)
        record_artifacts(self.service, holder, self._principal, run_id, items)

    def get_run(self, run_id: str) -> RunDetail:
        return self.service.get_run(self._principal, run_id)

    def spool_folders(self) -> list[Path]:
        from shipyard.tracking.spool import spool_dirs

        return spool_dirs(self.context.settings)[:1]  # embedded runs spool in the workspace

    def get_runs(self, run_ids: Sequence[str]) -> list[Run]:
        return self.service.get_runs(self._principal, run_ids)

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        ids = [self.service.resolve(self._principal, r) for r in run_ids]
        return self.service.delete_runs(self._principal, ids)

    def search_runs(
        self,
        *,
        experiments: Sequence[str] = (),
        filter: str = "",
        order_by: str = "",
        limit: int = 100,
        page_token: str | None = None,
    ) -> RunPage:
        return self.service.search_runs(
            self._principal,
            self.project,
            experiments=experiments,
            filter=filter,
            order_by=order_by,
            limit=limit,
            page_token=page_token,
        )

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        return self.service.metric_history(self._principal, run_id, key)

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
        # One read transaction for the whole walk: a single pass over the chunks.
        return self.service.iter_metric_history(
            self._principal, run_id, key, start_step=start_step, end_step=end_step,
            after=after, descending=descending, page_size=page_size,
        )  # fmt: skip

    def metric_history_summary(
        self,
        run_id: str,
        key: str,
        buckets: int,
        *,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> MetricSummary:
        return self.service.metric_history_summary(
            self._principal, run_id, key, buckets, start_step=start_step, end_step=end_step
        )

    def list_experiments(self) -> list[Experiment]:
        return self.service.list_experiments(self._principal, self.project)

    def close(self) -> None:
        if self._owns_context:
            self.context.close()
