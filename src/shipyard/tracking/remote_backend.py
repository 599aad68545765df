"""The tracking backend of remote mode: the same SDK calls, sent to a team server.

Picked by the context (:meth:`~shipyard.context.Context.open_tracking`) when
``SHIPYARD_URI=https://…``.
One request per call, one request per batch of logged values, over the
client's keep-alive pool. Writes are exactly-once:

* every write carries an ``Idempotency-Key``, the same on each retry, so a
  retry after a lost answer replays the first answer instead of writing again;
  the client retries a write until ``client.retry_deadline_s``;
* a batch of logged values comes with its key from the SDK's logger
  (:mod:`shipyard.tracking.batching`), which keeps a batch whose fate stays
  unknown and sends it again, same key, before anything newer; so a batch the
  server did receive is never written twice, and a run's end waits for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from shipyard.client.http import ApiClient, read_answer
from shipyard.context import Context
from shipyard.tracking import wire
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
from shipyard.tracking.limits import check_outcomes

if TYPE_CHECKING:  # the object client is imported by the first artifact
    from shipyard.objects.http_store import HttpObjectStore
    from shipyard.tracking.history import HistoryPage, MetricSummary

__all__ = ["RemoteTrackingBackend"]

API = "/api/v1"
HEARTBEAT_PATIENCE_S = 5.0
"""A heartbeat is retried briefly: the next one comes anyway."""


class RemoteTrackingBackend:
    """:class:`~shipyard.tracking.backend.TrackingBackend` over a team server's HTTP API."""

    def __init__(
        self, context: Context, *, owns_context: bool = False, client: ApiClient | None = None
    ) -> None:
        self.context = context
        self.client = client or context.remote
        self._owns_context = owns_context
        self._objects: HttpObjectStore | None = None

    @property
    def project(self) -> str:
        return self.context.project

    @property
    def objects(self) -> HttpObjectStore:
        """The project's objects on the server (where artifacts go)."""
        if self._objects is None:
            from shipyard.objects.http_store import HttpObjectStore

            self._objects = HttpObjectStore(
                self.client, self.project, workers=self.context.settings.objects.workers
            )
        return self._objects

    def _project_path(self, tail: str) -> str:
        return f"{API}/projects/{quote(self.project, safe='')}/{tail}"

    @staticmethod
    def _run_path(run_id: str, tail: str = "") -> str:
        path = f"{API}/runs/{quote(run_id, safe='')}"
        return f"{path}/{tail}" if tail else path

    # -- writes ----------------------------------------------------------------------

    def _write(
        self,
        path: str,
        body: dict[str, Any],
        key: str | None = None,
        patience: float | None = None,
    ) -> Any:
        headers = {"Idempotency-Key": key} if key else None  # else the client makes one
        answer = self.client.request("POST", path, json=body, headers=headers, deadline_s=patience)
        return answer.json() if answer.content else None

    def create_run(self, spec: RunSpec) -> Run:
        answer = self._write(self._project_path("runs"), wire.spec_to_wire(spec))
        return read_answer(wire.run_from_wire, answer)

    def resume_run(self, run_id: str, writer: Writer) -> Run:
        answer = self._write(
            self._run_path(run_id, "resume"), {"writer": wire.writer_to_wire(writer)}
        )
        return read_answer(wire.run_from_wire, answer)

    def log_batch(
        self,
        batch: LogBatch,
        writer: Writer | None,
        *,
        key: str | None = None,
        patience: float | None = None,
    ) -> None:
        if not batch:
            return
        body = wire.batch_to_wire(batch) | {"writer": wire.writer_to_wire(writer)}
        self._write(f"{API}/runs/log", body, key, patience)

    def heartbeat(self, usage: dict[str, Resources], writer: Writer) -> None:
        if not usage:
            return
        body = {
            "usage": {run_id: r.to_dict() for run_id, r in usage.items()},
            "writer": wire.writer_to_wire(writer),
        }
        self._write(f"{API}/runs/heartbeat", body, patience=HEARTBEAT_PATIENCE_S)

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
        body: dict[str, Any] = {
            "status": RunStatus(status).value,
            "resources": resources.to_dict(),
            "exit_code": exit_code,
            "batch": wire.batch_to_wire(batch) if batch else None,
            "writer": wire.writer_to_wire(writer),
        }
        self._write(self._run_path(run_id, "end"), body, key, patience)

    def write_runs(
        self, ends: Sequence[RunEnd], starts: Sequence[RunStart], writer: Writer | None = None
    ) -> list[Run]:
        if not ends and not starts:
            return []
        check_outcomes(ends, starts)  # as the service would, before anything is sent
        body = {
            "ends": [
                {"run_id": e.run_id, "outcome": wire.outcome_to_wire(e.outcome)} for e in ends
            ],
            "starts": [
                {
                    "spec": wire.spec_to_wire(s.spec),
                    "outcome": None if s.outcome is None else wire.outcome_to_wire(s.outcome),
                }
                for s in starts
            ],
            "writer": wire.writer_to_wire(writer),
        }
        answer = self._write(self._project_path("runs/write"), body)
        return [read_answer(wire.run_from_wire, item) for item in answer]

    def tagged_run(self, experiment: str, value: str, want: str) -> tuple[str, str | None] | None:
        params = {"experiment": experiment, "value": value, "want": want}
        path = self._project_path("runs/tagged")
        answer = self.client.request("GET", path, params=params).json()
        run_id = answer.get("run_id")
        return None if run_id is None else (str(run_id), answer.get("tag"))

    def log_input(self, run_id: str, path: str, size: int, digest: str) -> None:
        body = {"path": path, "size": size, "digest": digest}
        self._write(self._run_path(run_id, "inputs"), body)

    def record_artifacts(self, run_id: str, items: Sequence[tuple[str, str, int]]) -> None:
        body = {"artifacts": [{"path": p, "digest": d, "size": n} for p, d, n in items]}
        self._write(self._run_path(run_id, "artifacts"), body)

    def spool_folders(self) -> list[Path]:
        from shipyard.tracking.spool import spool_dirs

        # The workspace's, and the user's (runs started outside a workspace spool there).
        return spool_dirs(self.context.settings)

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        answer = self._write(f"{API}/runs/delete", {"ids": list(run_ids)})
        return int(answer["deleted"])

    # -- reads -----------------------------------------------------------------------

    def _settled(self) -> None:
        """Reads see every batch taken so far: nothing is kept here (the SDK's logger
        keeps unconfirmed batches, and the SDK flushes it before it reads)."""

    def get_run(self, run_id: str) -> RunDetail:
        self._settled()
        return read_answer(wire.detail_from_wire, self.client.get(self._run_path(run_id)))

    def get_runs(self, run_ids: Sequence[str]) -> list[Run]:
        self._settled()
        answer = self.client.request("GET", f"{API}/runs", params={"id": list(run_ids)}).json()
        return [read_answer(wire.run_from_wire, item) for item in answer]

    def search_runs(
        self,
        *,
        experiments: Sequence[str] = (),
        filter: str = "",
        order_by: str = "",
        limit: int = 100,
        page_token: str | None = None,
    ) -> RunPage:
        self._settled()
        body = {"experiments": list(experiments), "filter": filter, "order_by": order_by,
                "limit": limit, "page_token": page_token}  # fmt: skip
        path = self._project_path("runs/search")
        answer = self.client.request("POST", path, json=body, read_only=True).json()
        return read_answer(wire.page_from_wire, answer)

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        return [p for page in self.iter_metric_history(run_id, key) for p in page.points()]

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
        """One request per page (each retried on its own), the next one when it is asked for.

        The first page is fetched now, so an unknown run fails here as it does in-process.
        """
        self._settled()

        def fetch(cursor: str | None) -> HistoryPage:
            answer = self.client.get(
                self._run_path(run_id, "metric-history/page"), key=key, after=cursor,
                limit=page_size, start_step=start_step, end_step=end_step,
                order="desc" if descending else None,
            )  # fmt: skip
            return read_answer(lambda data: wire.history_page_from_wire(key, data), answer)

        def pages(page: HistoryPage) -> Iterator[HistoryPage]:
            while True:
                if len(page):
                    yield page
                if page.next_cursor is None:
                    return
                page = fetch(page.next_cursor)

        return pages(fetch(after))

    def metric_history_summary(
        self,
        run_id: str,
        key: str,
        buckets: int,
        *,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> MetricSummary:
        self._settled()
        answer = self.client.get(
            self._run_path(run_id, "metric-history/summary"), key=key, buckets=buckets,
            start_step=start_step, end_step=end_step,
        )  # fmt: skip
        return read_answer(wire.summary_from_wire, answer)

    def list_experiments(self) -> list[Experiment]:
        self._settled()
        answer = self.client.get(self._project_path("experiments"))
        return [read_answer(wire.experiment_from_wire, item) for item in answer]

    def close(self) -> None:
        """Release the connection if it is ours."""
        if self._owns_context:
            self.context.close()
