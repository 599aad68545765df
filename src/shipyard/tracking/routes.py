"""HTTP routes of experiment tracking (thin over :class:`TrackingService`).

What :class:`~shipyard.tracking.remote_backend.RemoteTrackingBackend` calls:
one request per SDK call, one request per batch of logged values. The service
checks roles (contributors log, viewers read); values that did not come
through the SDK's own checks are checked here (:func:`check_batch`). Filters
are parsed on the server: a syntax error comes back as ``QuerySyntaxError``
with the position of the bad token.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import StringConstraints

from shipyard.context import Context
from shipyard.server.fields import BIG, ProjectName, Text, path_segment
from shipyard.server.security import request_context
from shipyard.store.db import Database
from shipyard.tracking import wire
from shipyard.tracking.entities import (
    GitState,
    LogBatch,
    Resources,
    RunEnd,
    RunOutcome,
    RunSpec,
    RunStart,
    RunStatus,
)
from shipyard.tracking.environment import environment_digest
from shipyard.tracking.history import DEFAULT_BUCKETS, MAX_BUCKETS, PAGE_SIZE
from shipyard.tracking.history_schemas import HistoryPageOut, MetricSummaryOut
from shipyard.tracking.limits import KEY_MAX, NAME_MAX, check_batch
from shipyard.tracking.schemas import (
    KEY_PATTERN,
    PAGE_TOKEN,
    ArtifactsIn,
    DeleteRunsIn,
    EndRunIn,
    ExperimentOut,
    HeartbeatIn,
    InputIn,
    LogBatchIn,
    MetricPointOut,
    OutcomeIn,
    ResourcesIn,
    ResumeIn,
    RunDetailOut,
    RunOut,
    RunPageOut,
    RunSpecIn,
    SearchIn,
    TaggedRunOut,
    WriterIn,
    WriteRunsIn,
)
from shipyard.tracking.service import TrackingService

__all__ = ["router"]

router = APIRouter(tags=["tracking"])
Ctx = Annotated[Context, Depends(request_context)]
Project = Annotated[ProjectName, Path()]
RUN_ID_CHARS = r"[0-7][0-9a-hjkmnp-tv-zA-HJKMNP-TV-Z]{5,25}"
"""A run id (26 characters of Crockford base32, as ``core.ids`` makes them: 48 bits of
time first, so the first is 0-7) or a prefix of 6 or more of them."""


path_segment("run_id", RUN_ID_CHARS)  # /runs/heartbeat is never taken for a run id
RunIdPath = Annotated[str, Path(pattern=f"^{RUN_ID_CHARS}$")]
ExperimentName = Annotated[Text, StringConstraints(max_length=NAME_MAX)]
RunIdText = Annotated[Text, StringConstraints(min_length=1, max_length=64)]


_SERVICES: weakref.WeakKeyDictionary[Database, TrackingService] = weakref.WeakKeyDictionary()


def _service(ctx: Context) -> TrackingService:
    """One service per database, so its caches (projects, experiments, environments
    known to exist) serve every request; they hold no principal's data."""
    db = ctx.db
    service = _SERVICES.get(db)
    if service is None:
        service = _SERVICES.setdefault(db, TrackingService(db, ctx.settings.cost))
    return service


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _batch(body: LogBatchIn) -> LogBatch:
    return check_batch(wire.batch_from_wire(body.metrics, body.params, body.tags))


def _resources(body: ResourcesIn) -> Resources:
    return Resources(
        wall_seconds=float(body.wall_seconds),
        cpu_seconds=float(body.cpu_seconds),
        peak_rss_bytes=body.peak_rss_bytes,
        gpu_seconds=float(body.gpu_seconds),
    )


def _outcome(body: OutcomeIn) -> RunOutcome:
    return wire.outcome_from_wire(body.model_dump(), _resources(body.resources))


def _writer(body: WriterIn | None) -> Any:
    return None if body is None else wire.writer_from_wire(body.model_dump())


def _spec(body: RunSpecIn) -> RunSpec:
    environment = None
    if body.environment is not None:
        environment = body.environment.model_dump(exclude={"digest"})
        environment["digest"] = environment_digest(environment)  # never trust the client's
    git = body.git
    return RunSpec(
        experiment=body.experiment,
        name=body.name,
        parent_id=body.parent_id,
        tags=body.tags,
        host=body.host,
        pid=body.pid,
        command=body.command,
        git=GitState(git.commit, git.branch, git.dirty, git.diff_digest) if git else None,
        environment=environment,
    )


@router.post(
    "/projects/{project}/runs",
    status_code=201,
    response_model=RunOut,
    summary="Start a run (contributors); the experiment is created if new",
)
def create_run(project: Project, body: RunSpecIn, ctx: Ctx) -> JSONResponse:
    run = _service(ctx).create_run(ctx.principal, project, _spec(body))
    return _json(wire.run_to_wire(run), 201)


@router.get(
    "/projects/{project}/runs",
    response_model=RunPageOut,
    summary="Search runs: filter and order in the query language, keyset pages",
    description="For long filters or many experiments use `POST …/runs/search` (URLs are "
    "limited to 64 KiB on the way).",
)
def search_runs(
    project: Project,
    ctx: Ctx,
    experiment: Annotated[list[ExperimentName] | None, Query(max_length=10)] = None,
    filter: Annotated[Text, Query(max_length=2_000)] = "",
    order_by: Annotated[Text, Query(max_length=500)] = "",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    page_token: Annotated[str | None, Query(max_length=12_000, pattern=PAGE_TOKEN)] = None,
) -> JSONResponse:
    page = _service(ctx).search_runs(
        ctx.principal,
        project,
        experiments=experiment or [],
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )
    return _json(wire.page_to_wire(page))


@router.post(
    "/projects/{project}/runs/search",
    response_model=RunPageOut,
    summary="Search runs (the query in the body, for long filters)",
)
def search_runs_posted(project: Project, body: SearchIn, ctx: Ctx) -> JSONResponse:
    page = _service(ctx).search_runs(
        ctx.principal,
        project,
        experiments=body.experiments,
        filter=body.filter,
        order_by=body.order_by,
        limit=body.limit,
        page_token=body.page_token,
    )
    return _json(wire.page_to_wire(page))


@router.post(
    "/projects/{project}/runs/write",
    response_model=list[RunOut],
    summary="End runs, then start runs (some recorded as already over), in one transaction",
)
def write_runs(project: Project, body: WriteRunsIn, ctx: Ctx) -> JSONResponse:
    ends = [RunEnd(e.run_id, _outcome(e.outcome)) for e in body.ends]
    starts = [
        RunStart(_spec(s.spec), None if s.outcome is None else _outcome(s.outcome))
        for s in body.starts
    ]
    runs = _service(ctx).write_runs(ctx.principal, project, ends, starts, _writer(body.writer))
    return _json([wire.run_to_wire(r) for r in runs])


@router.get(
    "/projects/{project}/runs/tagged",
    response_model=TaggedRunOut,
    summary="The newest finished run whose lookup tag (a step's cache key) has a value",
)
def tagged_run(
    project: Project,
    ctx: Ctx,
    experiment: Annotated[ExperimentName, Query()],
    value: Annotated[Text, Query(max_length=KEY_MAX)],
    want: Annotated[str, Query(max_length=KEY_MAX, pattern=KEY_PATTERN)],
) -> JSONResponse:
    found = _service(ctx).tagged_run(ctx.principal, project, experiment, value, want)
    body = {"run_id": None} if found is None else {"run_id": found[0], "tag": found[1]}
    return _json(body)


@router.get(
    "/projects/{project}/experiments",
    response_model=list[ExperimentOut],
    summary="Experiments of a project with run counts and total cost",
)
def list_experiments(project: Project, ctx: Ctx) -> JSONResponse:
    experiments = _service(ctx).list_experiments(ctx.principal, project)
    return _json([e.to_dict() for e in experiments])


@router.post("/runs/log", status_code=204, summary="Log a batch of metrics, params and tags")
def log_batch(body: LogBatchIn, ctx: Ctx) -> Response:
    _service(ctx).log(ctx.principal, _batch(body), _writer(body.writer))
    return Response(status_code=204)


@router.post("/runs/heartbeat", status_code=204, summary="Runs' process is alive, with usage")
def heartbeat(body: HeartbeatIn, ctx: Ctx) -> Response:
    usage = {run_id: _resources(r) for run_id, r in body.usage.items()}
    writer = wire.writer_from_wire(body.writer.model_dump())
    assert writer is not None
    _service(ctx).heartbeat(ctx.principal, usage, writer)
    return Response(status_code=204)


@router.post("/runs/delete", summary="Delete runs and everything they logged")
def delete_runs(body: DeleteRunsIn, ctx: Ctx) -> dict[str, int]:
    service = _service(ctx)
    ids = [service.resolve(ctx.principal, r) for r in body.ids]
    return {"deleted": service.delete_runs(ctx.principal, ids)}


@router.get("/runs", response_model=list[RunOut], summary="Several runs, in the order asked")
def get_runs(
    ctx: Ctx, id: Annotated[list[RunIdText], Query(min_length=1, max_length=200)]
) -> JSONResponse:
    runs = _service(ctx).get_runs(ctx.principal, id)
    return _json([wire.run_to_wire(r) for r in runs])


@router.get(
    "/runs/{run_id:run_id}",
    response_model=RunDetailOut,
    summary="One run in full (the id may be a unique prefix of 6+ characters)",
)
def get_run(run_id: RunIdPath, ctx: Ctx) -> JSONResponse:
    return _json(wire.detail_to_wire(_service(ctx).get_run(ctx.principal, run_id)))


@router.post(
    "/runs/{run_id:run_id}/resume", response_model=RunOut, summary="Mark a run running again"
)
def resume_run(run_id: RunIdPath, body: ResumeIn, ctx: Ctx) -> JSONResponse:
    service = _service(ctx)
    full_id = service.resolve(ctx.principal, run_id)
    writer = wire.writer_from_wire(body.writer.model_dump())
    assert writer is not None
    return _json(wire.run_to_wire(service.resume_run(ctx.principal, full_id, writer)))


@router.post(
    "/runs/{run_id:run_id}/end", status_code=204, summary="Write the last batch and end a run"
)
def end_run(run_id: RunIdPath, body: EndRunIn, ctx: Ctx) -> Response:
    _service(ctx).end_run(
        ctx.principal,
        run_id,
        RunStatus(body.status),
        _resources(body.resources),
        exit_code=body.exit_code,
        batch=_batch(body.batch) if body.batch else None,
        writer=_writer(body.writer),
    )
    return Response(status_code=204)


@router.post("/runs/{run_id:run_id}/inputs", status_code=204, summary="Record a file the run read")
def log_input(run_id: RunIdPath, body: InputIn, ctx: Ctx) -> Response:
    digest = body.digest.lower().removeprefix("blake3:")
    _service(ctx).log_input(ctx.principal, run_id, body.path, body.size, digest)
    return Response(status_code=204)


@router.post(
    "/runs/{run_id:run_id}/artifacts",
    status_code=204,
    summary="Record files of a run, already uploaded to the project's objects",
)
def record_artifacts(run_id: RunIdPath, body: ArtifactsIn, ctx: Ctx) -> Response:
    from shipyard.objects.grants import ObjectGrants
    from shipyard.tracking.artifact_records import record_artifacts as record

    # Held means granted: naming another project's digest must not make it readable here.
    items = [(a.path, a.digest, a.size) for a in body.artifacts]
    record(_service(ctx), ObjectGrants(ctx.db), ctx.principal, run_id, items)
    return Response(status_code=204)


# -- histories: streamed whole, in pages of columns, or downsampled -------------------------

MetricKey = Annotated[str, Query(max_length=KEY_MAX, pattern=KEY_PATTERN)]
StepBound = Annotated[int | None, Query(ge=-BIG, le=BIG)]


@router.get(
    "/runs/{run_id:run_id}/metric-history",
    response_model=list[MetricPointOut],
    summary="Every logged value of one metric of a run, by step (streamed)",
    description="Written page by page as it is read, so any length costs the server the "
    "same memory. For long histories prefer `…/metric-history/page` (columns, a cursor) "
    "or `…/metric-history/summary` (downsampled).",
)
def metric_history(run_id: RunIdPath, ctx: Ctx, key: MetricKey) -> StreamingResponse:
    service = _service(ctx)
    full_id, _project = service.run_project(ctx.principal, run_id)  # 404 before any byte
    first = service.metric_history_page(ctx.principal, full_id, key)

    def body() -> Iterator[str]:
        page, sep = first, ""
        yield "["
        while True:
            if len(page):
                yield sep + wire.points_json(page)
                sep = ","
            if page.next_cursor is None:
                break
            page = service.metric_history_page(
                ctx.principal, full_id, key, after=page.next_cursor
            )  # a short read per page: no transaction stays open while the client reads
        yield "]"

    return StreamingResponse(body(), media_type="application/json")


@router.get(
    "/runs/{run_id:run_id}/metric-history/page",
    response_model=HistoryPageOut,
    summary="A page of one metric's history as columns, from a cursor",
    description="Values by step, then time, then logging order (`order=desc`: from the "
    "last). `after` takes the `next_cursor` of the previous page; `start_step` and "
    "`end_step` (both included) keep a range.",
)
def metric_history_page(
    run_id: RunIdPath,
    ctx: Ctx,
    key: MetricKey,
    after: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE)] = PAGE_SIZE,
    start_step: StepBound = None,
    end_step: StepBound = None,
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> JSONResponse:
    page = _service(ctx).metric_history_page(
        ctx.principal, run_id, key, start_step=start_step, end_step=end_step,
        after=after or None, descending=order == "desc", page_size=limit,
    )  # fmt: skip
    return _json(wire.history_page_to_wire(page))


@router.get(
    "/runs/{run_id:run_id}/metric-history/summary",
    response_model=MetricSummaryOut,
    summary="One metric's history downsampled in the store: first, last, min, max per bucket",
    description="`buckets` buckets of equal step width over `start_step`…`end_step` "
    "(default: the whole history); empty buckets are left out. Min and max ignore NaN.",
)
def metric_history_summary(
    run_id: RunIdPath,
    ctx: Ctx,
    key: MetricKey,
    buckets: Annotated[int, Query(ge=1, le=MAX_BUCKETS)] = DEFAULT_BUCKETS,
    start_step: StepBound = None,
    end_step: StepBound = None,
) -> JSONResponse:
    summary = _service(ctx).metric_history_summary(
        ctx.principal, run_id, key, buckets, start_step=start_step, end_step=end_step
    )
    return _json(wire.summary_to_wire(summary))
