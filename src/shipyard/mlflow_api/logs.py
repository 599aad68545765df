"""``/api/2.0/mlflow/runs/log-*``, ``set-tag``: values logged to a run, one transaction each.

Each call is one :meth:`TrackingService.log` batch, with MLflow's limits on a
batch (1,000 metrics, 100 params, 100 tags). Metrics a batch repeats for a
logged model (``model_id`` set) are the run's own values again: MLflow keeps
them apart for the model, Shipyard has them once, on the run.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shipyard.core.principal import Role
from shipyard.mlflow_api.common import WRITER, tracking
from shipyard.mlflow_api.datasets import log_datasets
from shipyard.mlflow_api.routing import PREFIX, Ctx, MlflowRoute, ok
from shipyard.mlflow_api.runs import Key, KeyValue, RunIdText, run_id_of
from shipyard.server.fields import I64, Text
from shipyard.tracking.entities import LogBatch
from shipyard.tracking.limits import check_batch

__all__ = ["router"]

router = APIRouter(prefix=f"{PREFIX}/runs", route_class=MlflowRoute, include_in_schema=False)

Short = Annotated[Text, Field(max_length=1000)]


class RunRef(BaseModel):
    run_id: RunIdText | None = None
    run_uuid: RunIdText | None = None

    def id(self) -> str:
        return run_id_of(self.run_id, self.run_uuid)


class MetricIn(RunRef):
    key: Key
    value: float
    timestamp: I64 | None = None
    step: I64 = 0
    model_id: Short | None = None


class ParamIn(RunRef, KeyValue):
    pass


class BatchIn(RunRef):
    metrics: Annotated[list[MetricIn], Field(max_length=1000)] = []
    params: Annotated[list[KeyValue], Field(max_length=100)] = []
    tags: Annotated[list[KeyValue], Field(max_length=100)] = []


class DatasetIn(BaseModel):
    name: Annotated[Text, Field(min_length=1, max_length=500)]
    digest: Annotated[Text, Field(max_length=100)]
    source_type: Short = ""
    source: Annotated[Text, Field(max_length=65_536)] = ""
    schema_: Text | None = Field(default=None, alias="schema", max_length=500_000)
    profile: Text | None = Field(default=None, max_length=100_000)


class DatasetInputIn(BaseModel):
    dataset: DatasetIn
    tags: Annotated[list[KeyValue], Field(max_length=100)] = []


class InputsIn(RunRef):
    datasets: Annotated[list[DatasetInputIn], Field(max_length=100)] = []


class OutputsIn(RunRef):
    models: Annotated[list[dict[str, Any]], Field(max_length=100)] = []


def _log(ctx: Ctx, batch: LogBatch) -> JSONResponse:
    tracking(ctx).log(ctx.principal, check_batch(batch), WRITER)
    return ok()


def _now() -> int:
    return int(time.time() * 1000)


@router.post("/log-metric")
def log_metric(body: MetricIn, ctx: Ctx) -> JSONResponse:
    stamp = _now() if body.timestamp is None else body.timestamp
    return _log(ctx, LogBatch(metrics=[(body.id(), body.key, body.value, body.step, stamp)]))


@router.post("/log-parameter")
def log_param(body: ParamIn, ctx: Ctx) -> JSONResponse:
    return _log(ctx, LogBatch(params=[(body.id(), body.key, body.value)]))


@router.post("/set-tag")
def set_tag(body: ParamIn, ctx: Ctx) -> JSONResponse:
    return _log(ctx, LogBatch(tags=[(body.id(), body.key, body.value)]))


@router.post("/log-batch")
def log_batch(body: BatchIn, ctx: Ctx) -> JSONResponse:
    run_id, now = body.id(), _now()
    batch = LogBatch(
        metrics=[
            (run_id, m.key, m.value, m.step, now if m.timestamp is None else m.timestamp)
            for m in body.metrics
            if m.model_id is None
        ],
        params=[(run_id, p.key, p.value) for p in body.params],
        tags=[(run_id, t.key, t.value) for t in body.tags],
    )
    if not batch:
        tracking(ctx).run_project(ctx.principal, run_id)  # an unknown run is still a 404
        return ok()
    return _log(ctx, batch)


@router.post("/log-inputs")
def log_inputs(body: InputsIn, ctx: Ctx) -> JSONResponse:
    run_id, project = tracking(ctx).run_project(ctx.principal, body.id())
    items = [item.model_dump(by_alias=True, exclude_none=True) for item in body.datasets]
    log_datasets(ctx, project, run_id, items)
    return ok()


@router.post("/outputs")
def log_outputs(body: OutputsIn, ctx: Ctx) -> JSONResponse:
    """Which logged models a run produced: known already (each names its run)."""
    _run_id, project = tracking(ctx).run_project(ctx.principal, body.id())
    ctx.principal.require(Role.CONTRIBUTOR, project, "log to runs")
    return ok()
