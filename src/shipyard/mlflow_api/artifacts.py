"""``/api/2.0/mlflow-artifacts/artifacts/…``: MLflow's artifact proxy over run artifacts.

MLflow's client puts, gets and lists files under the locations this API gives
(:mod:`.shapes`): ``<experiment>/<run>/artifacts/<path>`` is the run's artifact
``<path>``; ``<experiment>/models/<model id>/artifacts/<path>`` is a file of a
logged model, kept as the artifact ``mlflow-models/<model id>/<path>`` of the
run that logged it (:mod:`.logged_models`). Bytes go to the object store as any
run artifact's do: hashed, deduplicated, granted to the run's project.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, BinaryIO, cast

from anyio import from_thread
from anyio.lowlevel import EventLoopToken, current_token
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from shipyard.context import Context
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.principal import Role
from shipyard.core.relpath import check_relpath
from shipyard.mlflow_api.common import tracking
from shipyard.mlflow_api.routing import ARTIFACTS_PREFIX, Ctx, MlflowRoute, ok
from shipyard.objects.grants import ObjectGrants
from shipyard.server.fields import Text
from shipyard.tracking.artifact_records import record_artifacts
from shipyard.tracking.entities import ArtifactRecord

__all__ = ["MODELS_FOLDER", "Location", "locate", "model_run_id", "router"]

router = APIRouter(prefix=f"{ARTIFACTS_PREFIX}/artifacts", route_class=MlflowRoute,
                   include_in_schema=False)  # fmt: skip

MODELS_FOLDER = "mlflow-models"
"""Where a run keeps the files of the models it logged (hidden from MLflow's listing; the
folder `shipyard migrate mlflow` imports logged models into, too)."""
_READ_SIZE = 4 * 1024 * 1024
_PATH = Annotated[Text, Query(max_length=2000)]


@dataclass(frozen=True)
class Location:
    """A path of MLflow's artifact namespace: the run holding it, and a folder of the run."""

    run_id: str
    folder: str
    """The run artifact folder it stands for ('' for the run's root), no trailing '/'."""

    def artifact(self, rest: str) -> str:
        return f"{self.folder}/{rest}" if self.folder and rest else self.folder or rest


def model_run_id(model_id: str) -> str:
    """The run a logged model's id names (``m-<run id><suffix>``)."""
    if not model_id.startswith("m-") or len(model_id) < 30:
        raise NotFound(f"no logged model with id {model_id!r}")
    return model_id[2:28]


def locate(path: str) -> tuple[Location, str]:
    """The location of a path of MLflow's artifact namespace and the rest of it ('' for
    the location itself); :class:`NotFound` for a path outside every run."""
    path = path.strip("/")
    if path:
        check_relpath(path, what="artifact path")
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "models" and parts[3] == "artifacts":
        model_id = parts[2]
        location = Location(model_run_id(model_id), f"{MODELS_FOLDER}/{model_id}")
        return location, "/".join(parts[4:])
    if len(parts) >= 3 and parts[2] == "artifacts":
        return Location(parts[1], ""), "/".join(parts[3:])
    raise NotFound(
        f"no artifact location {path!r}",
        hint="artifact paths look like <experiment id>/<run id>/artifacts/<path>",
    )


def _records(ctx: Context, run_id: str) -> list[ArtifactRecord]:
    return list(tracking(ctx).get_run(ctx.principal, run_id).artifacts)


@router.get("")
def list_artifacts(ctx: Ctx, path: _PATH = "") -> JSONResponse:
    """The files and folders directly in a folder (MLflow answers ``{}`` for a file)."""
    location, rest = locate(path)
    folder = location.artifact(rest)
    prefix = f"{folder}/" if folder else ""
    entries: dict[str, tuple[bool, int]] = {}
    for record in _records(ctx, location.run_id):
        if not record.path.startswith(prefix):
            continue
        inside = record.path[len(prefix) :]
        head, sep, _ = inside.partition("/")
        if not folder and head == MODELS_FOLDER:
            continue
        entries[head] = (True, 0) if sep else (False, record.size)
    files = [
        {"path": name, "is_dir": True} if is_dir
        else {"path": name, "is_dir": False, "file_size": size}
        for name, (is_dir, size) in sorted(entries.items())
    ]  # fmt: skip
    return ok({"files": files} if files else {})


@router.put("/{path:path}")
async def upload(path: str, request: Request, ctx: Ctx) -> JSONResponse:
    location, rest = locate(path)
    if not rest:
        raise InvalidInput("an upload names a file: <experiment>/<run>/artifacts/<path>")
    name = location.artifact(rest)
    check_relpath(name, what="artifact path")
    body = io.BufferedReader(_Body(request.stream(), current_token()), _READ_SIZE)
    await run_in_threadpool(_store, ctx, location.run_id, name, cast(BinaryIO, body))
    return ok()


class _Body(io.RawIOBase):
    """The request body as a blocking file for a worker thread, read as it arrives: the
    store hashes and chunks the first bytes while the last are still on the way."""

    def __init__(self, chunks: AsyncIterator[bytes], loop: EventLoopToken) -> None:
        self._chunks = chunks
        self._loop = loop  # the store may read from threads of its own
        self._pending = memoryview(b"")
        self._ended = False

    def readable(self) -> bool:
        return True

    async def _next(self) -> bytes:
        return await anext(self._chunks)

    def readinto(self, target: Any) -> int:
        while not self._pending and not self._ended:
            try:
                self._pending = memoryview(from_thread.run(self._next, token=self._loop))
            except StopAsyncIteration:
                self._ended = True
        count = min(len(target), len(self._pending))
        target[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def _store(ctx: Context, run_id: str, name: str, stream: BinaryIO) -> None:
    service = tracking(ctx)
    run_id, project = service.run_project(ctx.principal, run_id)
    ctx.principal.require(Role.CONTRIBUTOR, project, "log artifacts")  # before storing bytes
    ref = ctx.objects.put_stream(stream)
    grants = ObjectGrants(ctx.db)
    grants.grant(ctx.principal, project, [ref], action="run.artifact")
    record_artifacts(service, grants, ctx.principal, run_id, [(name, ref.digest.hex, ref.size)])


@router.get("/{path:path}")
def download(path: str, ctx: Ctx) -> StreamingResponse:
    location, rest = locate(path)
    name = location.artifact(rest)
    for record in _records(ctx, location.run_id):
        if record.path == name:
            chunks: Iterator[bytes] = ctx.objects.iter_content(Digest.parse(record.digest))
            headers = {"Content-Length": str(record.size)}
            return StreamingResponse(chunks, media_type="application/octet-stream",
                                     headers=headers)  # fmt: skip
    raise NotFound(f"no artifact {rest or '/'!r} in run {location.run_id}")
