"""``/api/2.0/mlflow/registered-models/…`` and ``model-versions/…`` over Shipyard's registry.

A registered model is a Shipyard model of the project; a version is registered
from what MLflow logged (:mod:`.model_files`); an alias is a registry alias,
moved with the maintainer role and recorded like any other move. Shipyard
creates a model with its first version: ``registered-models/create`` checks the
name and the caller's role and answers, storing nothing until a version comes.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shipyard.context import Context
from shipyard.core.errors import AlreadyExists, InvalidInput, NotFound
from shipyard.core.model_ref import ModelRef, check_model_name
from shipyard.core.principal import Role
from shipyard.mlflow_api.common import aliases, registry, tracking
from shipyard.mlflow_api.model_files import mlflow_origin, register_source, resolve_source
from shipyard.mlflow_api.routing import PREFIX, Ctx, MlflowRoute, ok, project_of
from shipyard.mlflow_api.runs import KeyValue
from shipyard.mlflow_api.shapes import model_json, version_json
from shipyard.registry.entities import ModelVersion
from shipyard.registry.version_rules import DESCRIPTION_MAX
from shipyard.server.fields import Text

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, route_class=MlflowRoute, include_in_schema=False)

Name = Annotated[Text, Field(min_length=1, max_length=200)]
AliasName = Annotated[Text, Field(min_length=1, max_length=100)]
Number = Annotated[Text, Field(min_length=1, max_length=20, pattern=r"^[0-9]+$")]
Description = Annotated[Text, Field(max_length=DESCRIPTION_MAX)]


class CreateModelIn(BaseModel):
    name: Name
    description: Description = ""
    tags: Annotated[list[KeyValue], Field(max_length=100)] = []


class CreateVersionIn(BaseModel):
    name: Name
    source: Annotated[Text, Field(min_length=1, max_length=2000)]
    run_id: Annotated[Text, Field(max_length=64)] | None = None
    model_id: Annotated[Text, Field(max_length=64)] | None = None
    description: Description = ""
    tags: Annotated[list[KeyValue], Field(max_length=100)] = []


class AliasIn(BaseModel):
    name: Name
    alias: AliasName
    version: Number


class LatestIn(BaseModel):
    name: Name
    stages: Annotated[list[Annotated[Text, Field(max_length=20)]], Field(max_length=10)] = []


def _version(ctx: Context, version: ModelVersion) -> dict[str, object]:
    origin = mlflow_origin(ctx, version)
    return version_json(version, origin.get("source", ""), origin.get("model_id", ""))


def _model(ctx: Context, project: str, name: str) -> dict[str, object]:
    model = registry(ctx).get_model(ctx.principal, project, name)
    latest = registry(ctx).list_versions(ctx.principal, project, name, limit=1)
    return model_json(model, [v for v in latest])


@router.post("/registered-models/create")
def create_model(body: CreateModelIn, ctx: Ctx) -> JSONResponse:
    project = project_of(ctx)
    check_model_name(body.name)
    ctx.principal.require(Role.CONTRIBUTOR, project, "register models")
    if any(m.name == body.name for m in registry(ctx).list_models(ctx.principal, project)):
        raise AlreadyExists(f"registered model {body.name!r} already exists")
    now = int(time.time() * 1000)
    model = {"name": body.name, "creation_timestamp": now, "last_updated_timestamp": now,
             "description": body.description}  # fmt: skip
    return ok({"registered_model": model})


@router.get("/registered-models/get")
def get_model(ctx: Ctx, name: Annotated[Name, Query()]) -> JSONResponse:
    return ok({"registered_model": _model(ctx, project_of(ctx), name)})


@router.get("/registered-models/search")
def search_models(
    ctx: Ctx, max_results: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> JSONResponse:
    project = project_of(ctx)
    found = registry(ctx).list_models(ctx.principal, project)[:max_results]
    return ok({"registered_models": [model_json(m) for m in found]})


@router.post("/registered-models/get-latest-versions")
def latest_versions(body: LatestIn, ctx: Ctx) -> JSONResponse:
    found = registry(ctx).list_versions(ctx.principal, project_of(ctx), body.name, limit=1)
    return ok({"model_versions": [_version(ctx, v) for v in found]})


@router.post("/model-versions/create")
def create_version(body: CreateVersionIn, ctx: Ctx) -> JSONResponse:
    project = project_of(ctx)
    source = resolve_source(body.source, body.model_id)
    version = register_source(ctx, project, body.name, source, body.description)
    return ok({"model_version": _version(ctx, version)})


def _get_version(ctx: Context, name: str, number: str) -> ModelVersion:
    ref = ModelRef(name, version=int(number))
    return registry(ctx).get_version(ctx.principal, project_of(ctx), ref)


@router.get("/model-versions/get")
def get_version(
    ctx: Ctx, name: Annotated[Name, Query()], version: Annotated[Number, Query()]
) -> JSONResponse:
    return ok({"model_version": _version(ctx, _get_version(ctx, name, version))})


@router.get("/model-versions/get-download-uri")
def download_uri(
    ctx: Ctx, name: Annotated[Name, Query()], version: Annotated[Number, Query()]
) -> JSONResponse:
    found = _get_version(ctx, name, version)
    origin = mlflow_origin(ctx, found)
    if not origin:
        raise InvalidInput(
            f"version {version} of {name!r} was not registered through MLflow's API",
            hint=f"load it with shipyard.load_model('models:/{name}/{version}')",
        )
    source = resolve_source(origin["source"], origin.get("model_id") or None)
    run = tracking(ctx).get_run(ctx.principal, origin["run_id"]).run
    ids = tracking(ctx).experiment_ids(ctx.principal, run.project)
    return ok({"artifact_uri": source.download_uri(ids.get(run.experiment, "0"))})


@router.get("/model-versions/search")
def search_versions(
    ctx: Ctx,
    filter: Annotated[Text, Query(max_length=500)] = "",
    max_results: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> JSONResponse:
    """Versions of one model: ``name = 'churn'`` (the only filter supported)."""
    name = filter.partition("=")[2].strip().strip("'\"")
    if not name:
        raise InvalidInput("search versions of one model: filter \"name = '<model>'\"")
    found = registry(ctx).list_versions(ctx.principal, project_of(ctx), name, limit=max_results)
    return ok({"model_versions": [_version(ctx, v) for v in found]})


@router.post("/registered-models/alias")
def set_alias(body: AliasIn, ctx: Ctx) -> JSONResponse:
    aliases(ctx).set_alias(ctx.principal, project_of(ctx), body.name, body.alias,
                           int(body.version), reason="set through MLflow's API")  # fmt: skip
    return ok()


@router.get("/registered-models/alias")
def get_by_alias(
    ctx: Ctx, name: Annotated[Name, Query()], alias: Annotated[AliasName, Query()]
) -> JSONResponse:
    project = project_of(ctx)
    number = registry(ctx).alias_version(ctx.principal, project, name, alias)
    if number is None:
        raise NotFound(f"registered model {name!r} has no alias {alias!r}")
    return ok({"model_version": _version(ctx, _get_version(ctx, name, str(number)))})


@router.delete("/registered-models/alias")
def delete_alias(
    ctx: Ctx, name: Annotated[Name, Query()], alias: Annotated[AliasName, Query()]
) -> JSONResponse:
    aliases(ctx).remove_alias(ctx.principal, project_of(ctx), name, alias,
                              reason="removed through MLflow's API")  # fmt: skip
    return ok()
