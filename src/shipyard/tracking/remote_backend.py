"""The tracking backend of remote mode: the same SDK calls, sent to a team server.

Picked by the SDK and the CLI when ``SHIPYARD_URI=https://…`` (``ctx.is_remote``).
One request per call, one request per batch of logged values, over the
client's keep-alive pool. Writes are exactly-once:

* every write carries an ``Idempotency-Key``, the same on each retry, so a
  retry after a lost answer replays the first answer instead of writing again;
* a batch whose request fails even after the client's retries (server down,
  network gone) is kept here, in order, with its key, and sent again before
  anything else — never rebuilt from the logger's buffers under a new key, so
  a batch the server did receive is never written twice. The logger is told
  the batch was taken; ending a run waits until the batches before it are in.
"""

from __future__ import annotations

import sys
import threading
import uuid
from collections import deque
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from shipyard.client.http import ApiClient, read_answer
from shipyard.context import Context
from shipyard.core.errors import ShipyardError, Unavailable
from shipyard.objects.http_store import HttpObjectStore
from shipyard.tracking import wire
from shipyard.tracking.entities import (
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

__all__ = ["RemoteTrackingBackend"]

API = "/api/v1"


class RemoteTrackingBackend:
    """:class:`~shipyard.tracking.backend.TrackingBackend` over a team server's HTTP API."""

    def __init__(
        self, context: Context, *, owns_context: bool = False, client: ApiClient | None = None
    ) -> None:
        self.context = context
        self.client = client or context.remote
        self._owns_context = owns_context
        self._outbox: deque[tuple[str, dict[str, Any], str]] = deque()
        self._lock = threading.Lock()  # batches leave in the order they were taken
        self._objects: HttpObjectStore | None = None

    @property
    def project(self) -> str:
        return self.context.project

    @property
    def objects(self) -> HttpObjectStore:
        """The project's objects on the server (where artifacts go)."""
        if self._objects is None:
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

    def _write(self, path: str, body: dict[str, Any], key: str | None = None) -> Any:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        answer = self.client.request("POST", path, json=body, headers=headers)
        return answer.json() if answer.content else None

    def _drain(self) -> None:
        """Send the batches kept after a failure, oldest first (the lock is held)."""
        while self._outbox:
            path, body, key = self._outbox[0]
            try:
                self._write(path, body, key)
            except Unavailable:
                raise
            except ShipyardError:
                self._outbox.popleft()  # refused for good (the run ended…): report it once
                raise
            self._outbox.popleft()

    def create_run(self, spec: RunSpec) -> Run:
        answer = self._write(self._project_path("runs"), wire.spec_to_wire(spec))
        return read_answer(wire.run_from_wire, answer)

    def resume_run(self, run_id: str, writer: Writer) -> Run:
        answer = self._write(
            self._run_path(run_id, "resume"), {"writer": wire.writer_to_wire(writer)}
        )
        return read_answer(wire.run_from_wire, answer)

    def log_batch(self, batch: LogBatch, writer: Writer | None) -> None:
        if not batch:
            return
        body = wire.batch_to_wire(batch) | {"writer": wire.writer_to_wire(writer)}
        key = uuid.uuid4().hex
        refused: ShipyardError | None = None
        with self._lock:
            try:
                self._drain()
            except Unavailable:
                raise  # still unreachable: this batch was not sent, the logger keeps it
            except ShipyardError as exc:
                refused = exc  # an older batch was refused; this one still goes
            try:
                self._write(f"{API}/runs/log", body, key)
            except Unavailable:
                # It may have arrived: keep it with its key rather than let it be rebuilt.
                self._outbox.append((f"{API}/runs/log", body, key))
        if refused is not None:
            raise refused

    def heartbeat(self, usage: dict[str, Resources], writer: Writer) -> None:
        if not usage:
            return
        body = {
            "usage": {run_id: r.to_dict() for run_id, r in usage.items()},
            "writer": wire.writer_to_wire(writer),
        }
        self._write(f"{API}/runs/heartbeat", body)

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
        body: dict[str, Any] = {
            "status": RunStatus(status).value,
            "resources": resources.to_dict(),
            "exit_code": exit_code,
            "batch": wire.batch_to_wire(batch) if batch else None,
            "writer": wire.writer_to_wire(writer),
        }
        with self._lock:
            self._drain()
            self._write(self._run_path(run_id, "end"), body)

    def log_input(self, run_id: str, path: str, size: int, digest: str) -> None:
        body = {"path": path, "size": size, "digest": digest}
        self._write(self._run_path(run_id, "inputs"), body)

    def record_artifacts(self, run_id: str, items: Sequence[tuple[str, str, int]]) -> None:
        body = {"artifacts": [{"path": p, "digest": d, "size": n} for p, d, n in items]}
        self._write(self._run_path(run_id, "artifacts"), body)

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        answer = self._write(f"{API}/runs/delete", {"ids": list(run_ids)})
        return int(answer["deleted"])

    # -- reads -----------------------------------------------------------------------

    def _settled(self) -> None:
        """Reads see every batch taken so far."""
        if self._outbox:
            with self._lock:
                self._drain()

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
        self._settled()
        answer = self.client.get(self._run_path(run_id, "metric-history"), key=key)
        return read_answer(lambda points: wire.history_from_wire(key, points), answer)

    def list_experiments(self) -> list[Experiment]:
        self._settled()
        answer = self.client.get(self._project_path("experiments"))
        return [read_answer(wire.experiment_from_wire, item) for item in answer]

    def close(self) -> None:
        """Send what is kept (best effort), then release the connection if it is ours."""
        try:
            with self._lock:
                self._drain()
        except ShipyardError as exc:
            kept = len(self._outbox)
            print(f"shipyard: {kept} batch(es) of logged values could not be sent to the "
                  f"server: {exc.one_line()}", file=sys.stderr)  # fmt: skip
        if self._owns_context:
            self.context.close()
