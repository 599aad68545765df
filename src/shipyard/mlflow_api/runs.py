"""``/api/2.0/mlflow/runs/{create,get,update,search}`` and ``metrics/get-history``.

An MLflow run is a Shipyard run of the project's experiment of that id; its
MLflow tags are kept as run tags (``mlflow.parentRunId`` also names its parent).
Searches go to Shipyard's own query language, which MLflow's filters mostly are
already (:mod:`.filters` rewrites the few words that differ).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shipyard.context import Context
from shipyard.core.errors import InvalidInput
from shipyard.mlflow_api.common import WRITER, experiment_name, tracking
from shipyard.mlflow_api.datasets import dataset_inputs
from shipyard.mlflow_api.filters import mlflow_filter, mlflow_order_by
from shipyard.mlflow_api.routing import PREFIX, Ctx, MlflowRoute, ok, project_of
from shipyard.mlflow_api.shapes import STATUS_FROM_MLFLOW, number, run_info, run_json
from shipyard.server.fields import I64, Text
from shipyard.tracking.entities import Resources, Run, RunSpec, RunStatus
from shipyard.tracking.limits import KEY_MAX, NAME_MAX, VALUE_MAX

__all__ = ["Key", "KeyValue", "RunIdText", "router", "run_id_of"]

HISTORY_PAGE = 25_000
"""The most points one ``get-history`` answer holds (MLflow's client asks for 25,000)."""

router = APIRouter(prefix=PREFIX, route_class=MlflowRoute, include_in_schema=False)

RunIdText = Annotated[Text, Field(min_length=1, max_length=64)]
Key = Annotated[Text, Field(min_length=1, max_length=KEY_MAX)]
Value = Annotated[Text, Field(max_length=VALUE_MAX)]


class KeyValue(BaseModel):
    key: Key
    value: Value = ""


class CreateIn(BaseModel):
    experiment_id: Annotated[Text, Field(min_length=1, max_length=64)] = "0"
    run_name: Annotated[Text, Field(max_length=NAME_MAX)] | None = None
    start_time: I64 | None = None
    tags: Annotated[list[KeyValue], Field(max_length=1000)] = []


class UpdateIn(BaseModel):
    run_id: RunIdText | None = None
    run_uuid: RunIdText | None = None
    status: Annotated[Text, Field(max_length=20)] | None = None
    end_time: I64 | None = None
    run_name: Annotated[Text, Field(max_length=NAME_MAX)] | None = None


class SearchIn(BaseModel):
    experiment_ids: Annotated[list[Annotated[Text, Field(max_length=64)]], Field(max_length=100)]
    filter: Annotated[Text, Field(max_length=2000)] = ""
    run_view_type: Annotated[Text, Field(max_length=20)] = "ACTIVE_ONLY"
    max_results: Annotated[int, Field(ge=1, le=50_000)] = 1000
    order_by: Annotated[list[Annotated[Text, Field(max_length=500)]], Field(max_length=10)] = []
    page_token: Annotated[Text, Field(max_length=12_000)] | None = None


def run_id_of(run_id: str | None, run_uuid: str | None) -> str:
    found = run_id or run_uuid
    if not found:
        raise InvalidInput("run_id is required")
    return found


@router.post("/runs/create")
def create_run(body: CreateIn, ctx: Ctx) -> JSONResponse:
    project = project_of(ctx)
    experiment = experiment_name(ctx, project, body.experiment_id)
    tags = {t.key: t.value for t in body.tags}
    name = body.run_name or tags.get("mlflow.runName") or "mlflow-run"
    spec = RunSpec(
        experiment=experiment,
        name=name,
        parent_id=tags.get("mlflow.parentRunId") or None,
        tags=tags,
        host=WRITER.host,
        pid=WRITER.pid,
        command=tags.get("mlflow.source.name"),
    )
    run = tracking(ctx).create_run(ctx.principal, project, spec)
    return ok({"run": run_json(run, body.experiment_id)})


@router.get("/runs/get")
def get_run(
    ctx: Ctx,
    run_id: Annotated[RunIdText | None, Query()] = None,
    run_uuid: Annotated[RunIdText | None, Query()] = None,
) -> JSONResponse:
    detail = tracking(ctx).get_run(ctx.principal, run_id_of(run_id, run_uuid))
    run = detail.run
    experiment_id = _experiment_ids(ctx, run.project).get(run.experiment, "")
    return ok({"run": run_json(run, experiment_id, dataset_inputs(ctx, detail))})


@router.post("/runs/update")
def update_run(body: UpdateIn, ctx: Ctx) -> JSONResponse:
    """End a run (a terminal status); RUNNING after an end resumes it. Renaming is not
    supported: a new ``run_name`` is refused unless it is the run's name."""
    service = tracking(ctx)
    run_id = run_id_of(body.run_id, body.run_uuid)
    run = service.get_run(ctx.principal, run_id).run
    if body.run_name is not None and body.run_name != run.name:
        raise InvalidInput("renaming a run is not supported by Shipyard's MLflow API")
    if body.status is not None:
        status = STATUS_FROM_MLFLOW.get(body.status)
        if status is None:
            raise InvalidInput(f"unknown run status {body.status!r}")
        if status.ended and run.status is RunStatus.RUNNING:
            service.end_run(ctx.principal, run.id, status, _wall(run, body.end_time),
                            writer=WRITER)  # fmt: skip
        elif not status.ended and run.status.ended:
            service.resume_run(ctx.principal, run.id, WRITER)
        run = service.get_run(ctx.principal, run.id).run
    experiment_id = _experiment_ids(ctx, run.project).get(run.experiment, "")
    return ok({"run_info": run_info(run, experiment_id)})


@router.post("/runs/delete")
def delete_run(body: UpdateIn, ctx: Ctx) -> JSONResponse:
    """Deletes the run for good (Shipyard keeps no deleted runs to restore)."""
    service = tracking(ctx)
    run_id = service.resolve(ctx.principal, run_id_of(body.run_id, body.run_uuid))
    service.delete_runs(ctx.principal, [run_id])
    return ok()


@router.post("/runs/search")
def search_runs(body: SearchIn, ctx: Ctx) -> JSONResponse:
    project = project_of(ctx)
    names = {i: name for name, i in tracking(ctx).experiment_ids(ctx.principal, project).items()}
    wanted = [names[i] for i in body.experiment_ids if i in names]
    if not wanted:
        return ok({"runs": []})
    page = tracking(ctx).search_runs(
        ctx.principal,
        project,
        experiments=wanted,
        filter=mlflow_filter(body.filter),
        order_by=mlflow_order_by(body.order_by),
        limit=min(body.max_results, 10_000),
        page_token=body.page_token,
    )
    ids = {name: i for i, name in names.items()}
    answer: dict[str, object] = {"runs": [_searched(r, ids) for r in page.runs]}
    if page.next_page_token:
        answer["next_page_token"] = page.next_page_token
    return ok(answer)


def _searched(run: Run, ids: dict[str, str]) -> dict[str, object]:
    return run_json(run, ids.get(run.experiment, ""))


@router.get("/metrics/get-history")
def metric_history(
    ctx: Ctx,
    metric_key: Annotated[Key, Query()],
    run_id: Annotated[RunIdText | None, Query()] = None,
    run_uuid: Annotated[RunIdText | None, Query()] = None,
    max_results: Annotated[int, Query(ge=1, le=1_000_000)] = 25_000,
    page_token: Annotated[Text | None, Query(max_length=100)] = None,
) -> JSONResponse:
    """One page of a metric's history (Shipyard's history pages, cursor as page token)."""
    page = tracking(ctx).metric_history_page(
        ctx.principal, run_id_of(run_id, run_uuid), metric_key,
        after=page_token or None, page_size=min(max_results, HISTORY_PAGE),
    )  # fmt: skip
    columns = (page.steps.tolist(), page.timestamps.tolist(), page.values.tolist())
    points = [
        {"key": metric_key, "value": number(v), "timestamp": t, "step": s}
        for s, t, v in zip(*columns, strict=True)
    ]
    answer: dict[str, object] = {"metrics": points}
    if page.next_cursor:
        answer["next_page_token"] = page.next_cursor
    return ok(answer)


def _wall(run: Run, end_ms: int | None) -> Resources:
    """MLflow's client measures nothing but the run's start and end."""
    start_ms = run.start_time.timestamp() * 1000
    end = time.time() * 1000 if end_ms is None else end_ms
    return Resources(wall_seconds=max(0.0, (end - start_ms) / 1000))


def _experiment_ids(ctx: Context, project: str) -> dict[str, str]:
    return tracking(ctx).experiment_ids(ctx.principal, project)
