"""``/api/2.0/mlflow/logged-models…``: MLflow 3's logged models, kept on the run that logged them.

A logged model's id is ``m-<run id><8 hex>``; its description (name, status,
type, tags) is the run tag ``mlflow.loggedModel.<id>`` (JSON), and its files
the run's artifacts under ``mlflow-models/<id>/`` (:mod:`.artifacts`). Its
params and metrics are its run's. A model logged outside a run is refused.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shipyard.context import Context
from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.core.principal import Role
from shipyard.mlflow_api.artifacts import model_run_id
from shipyard.mlflow_api.common import WRITER, experiment_name, tracking
from shipyard.mlflow_api.routing import PREFIX, Ctx, MlflowRoute, ok, project_of
from shipyard.mlflow_api.runs import KeyValue
from shipyard.mlflow_api.shapes import number
from shipyard.server.fields import Text
from shipyard.tracking.entities import LogBatch, Run
from shipyard.tracking.limits import VALUE_MAX

__all__ = ["TAG_PREFIX", "logged_model", "router"]

router = APIRouter(prefix=f"{PREFIX}/logged-models", route_class=MlflowRoute,
                   include_in_schema=False)  # fmt: skip

TAG_PREFIX = "mlflow.loggedModel."
ModelId = Annotated[str, Path(pattern=r"^m-[0-9A-Za-z]{26,40}$")]
Short = Annotated[Text, Field(max_length=500)]


class CreateIn(BaseModel):
    experiment_id: Annotated[Text, Field(min_length=1, max_length=64)]
    name: Short = "model"
    source_run_id: Annotated[Text, Field(max_length=64)] | None = None
    model_type: Short = ""
    tags: Annotated[list[KeyValue], Field(max_length=100)] = []


class FinalizeIn(BaseModel):
    status: Annotated[Text, Field(max_length=40)]


class TagsIn(BaseModel):
    tags: Annotated[list[KeyValue], Field(max_length=100)] = []


class SearchIn(BaseModel):
    experiment_ids: Annotated[list[Short], Field(max_length=100)] = []


def logged_model(ctx: Context, model_id: str) -> tuple[Run, dict[str, Any]]:
    """The run that logged ``model_id`` and the model's description; :class:`NotFound`."""
    run = tracking(ctx).get_run(ctx.principal, model_run_id(model_id)).run
    stored = run.tags.get(TAG_PREFIX + model_id)
    if stored is None:
        raise NotFound(f"no logged model with id {model_id!r}")
    return run, json.loads(stored)


def _model_json(run: Run, model_id: str, described: dict[str, Any]) -> dict[str, Any]:
    experiment_id = described["experiment_id"]
    info = {
        "model_id": model_id,
        "experiment_id": experiment_id,
        "name": described["name"],
        "creation_timestamp_ms": described["created"],
        "last_updated_timestamp_ms": described["updated"],
        "artifact_uri": f"mlflow-artifacts:/{experiment_id}/models/{model_id}/artifacts",
        "status": described["status"],
        "model_type": described.get("model_type", ""),
        "source_run_id": run.id,
        "tags": [{"key": k, "value": v} for k, v in sorted(described["tags"].items())],
    }
    metrics = [
        {"key": k, "value": number(m.value), "timestamp": m.timestamp_ms, "step": m.step,
         "run_id": run.id}
        for k, m in run.metrics.items()
    ]  # fmt: skip
    params = [{"key": k, "value": v} for k, v in sorted(run.params.items())]
    return {"model": {"info": info, "data": {"params": params, "metrics": metrics}}}


def _save(ctx: Context, run_id: str, model_id: str, described: dict[str, Any]) -> None:
    text = json.dumps(described, sort_keys=True)
    if len(text) > VALUE_MAX:
        raise InvalidInput(f"the logged model's tags are over {VALUE_MAX:,} characters")
    tracking(ctx).log(ctx.principal, LogBatch(tags=[(run_id, TAG_PREFIX + model_id, text)]),
                      WRITER)  # fmt: skip


@router.post("")
def create(body: CreateIn, ctx: Ctx) -> JSONResponse:
    if not body.source_run_id:
        raise InvalidInput("Shipyard keeps a logged model with its run: log it inside a run",
                           hint="wrap log_model in `with mlflow.start_run():`")  # fmt: skip
    run_id, project = tracking(ctx).run_project(ctx.principal, body.source_run_id)
    if project != project_of(ctx):
        raise NotFound(f"no run {body.source_run_id!r} in project {project_of(ctx)!r}")
    experiment_name(ctx, project, body.experiment_id)  # an experiment of the project
    model_id = f"m-{run_id}{secrets.token_hex(4)}"
    now = int(time.time() * 1000)
    described = {
        "experiment_id": body.experiment_id, "name": body.name, "created": now, "updated": now,
        "status": "LOGGED_MODEL_PENDING", "model_type": body.model_type,
        "tags": {t.key: t.value for t in body.tags},
    }  # fmt: skip
    _save(ctx, run_id, model_id, described)
    run, described = logged_model(ctx, model_id)
    return ok(_model_json(run, model_id, described))


@router.get("/{model_id}")
def get(model_id: ModelId, ctx: Ctx) -> JSONResponse:
    run, described = logged_model(ctx, model_id)
    return ok(_model_json(run, model_id, described))


@router.patch("/{model_id}")
def finalize(model_id: ModelId, body: FinalizeIn, ctx: Ctx) -> JSONResponse:
    if body.status not in ("LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"):
        raise InvalidInput(f"a logged model cannot be finalized as {body.status!r}")
    run, described = logged_model(ctx, model_id)
    described |= {"status": body.status, "updated": int(time.time() * 1000)}
    _save(ctx, run.id, model_id, described)
    return ok(_model_json(run, model_id, described))


@router.patch("/{model_id}/tags")
def set_tags(model_id: ModelId, body: TagsIn, ctx: Ctx) -> JSONResponse:
    """Tags of a model whose run has ended are not kept, except MLflow's own bookkeeping
    (``mlflow.*``), which is dropped quietly: Shipyard's registry records those links."""
    run, described = logged_model(ctx, model_id)
    described["tags"] |= {t.key: t.value for t in body.tags}
    try:
        _save(ctx, run.id, model_id, described)
    except Conflict:
        if not all(t.key.startswith("mlflow.") for t in body.tags):
            raise
    return ok()


@router.post("/search")
def search(body: SearchIn, ctx: Ctx) -> JSONResponse:
    """Not supported: no logged model is found (MLflow's client asks to tell a model's
    folder from an artifact folder; the answer is the artifact)."""
    ctx.principal.require(Role.VIEWER, project_of(ctx), "read models")
    return ok({"models": []})
