"""``/api/2.0/mlflow/experiments/…``: MLflow experiments are the experiments of one project
(:func:`~shipyard.mlflow_api.routing.project_of`); their ids are Shipyard's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shipyard.core.errors import AlreadyExists, NotFound
from shipyard.mlflow_api.common import experiment_by_id, experiments, tracking
from shipyard.mlflow_api.routing import PREFIX, Ctx, MlflowRoute, ok, project_of
from shipyard.mlflow_api.shapes import experiment_json
from shipyard.server.fields import Text
from shipyard.tracking.limits import NAME_MAX

__all__ = ["router"]

router = APIRouter(prefix=f"{PREFIX}/experiments", route_class=MlflowRoute,
                   include_in_schema=False)  # fmt: skip

Name = Annotated[Text, Field(min_length=1, max_length=NAME_MAX)]
Id = Annotated[Text, Field(min_length=1, max_length=64)]


class CreateIn(BaseModel):
    name: Name
    artifact_location: Annotated[Text, Field(max_length=1000)] | None = None


class SearchIn(BaseModel):
    max_results: Annotated[int, Field(ge=1, le=50_000)] = 1000
    filter: Annotated[Text, Field(max_length=2000)] | None = None
    page_token: Annotated[Text, Field(max_length=100)] | None = None


@router.post("/create")
def create_experiment(body: CreateIn, ctx: Ctx) -> JSONResponse:
    project = project_of(ctx)
    if body.name in tracking(ctx).experiment_ids(ctx.principal, project):
        raise AlreadyExists(f"experiment {body.name!r} already exists in project {project!r}")
    experiment_id = tracking(ctx).create_experiment(ctx.principal, project, body.name)
    return ok({"experiment_id": experiment_id})


@router.get("/get")
def get_experiment(ctx: Ctx, experiment_id: Annotated[Id, Query()]) -> JSONResponse:
    experiment = experiment_by_id(ctx, project_of(ctx), experiment_id)
    return ok({"experiment": experiment_json(experiment)})


@router.get("/get-by-name")
def get_by_name(ctx: Ctx, experiment_name: Annotated[Name, Query()]) -> JSONResponse:
    project = project_of(ctx)
    for experiment in experiments(ctx, project):
        if experiment.name == experiment_name:
            return ok({"experiment": experiment_json(experiment)})
    raise NotFound(f"no experiment named {experiment_name!r} in project {project!r}")


@router.post("/search")
def search_experiments(body: SearchIn, ctx: Ctx) -> JSONResponse:
    """Every experiment of the project (MLflow's filter on experiments is not supported)."""
    found = experiments(ctx, project_of(ctx))[: body.max_results]
    return ok({"experiments": [experiment_json(e) for e in found]})


@router.get("/search")
def search_experiments_get(
    ctx: Ctx, max_results: Annotated[int, Query(ge=1, le=50_000)] = 1000
) -> JSONResponse:
    found = experiments(ctx, project_of(ctx))[:max_results]
    return ok({"experiments": [experiment_json(e) for e in found]})
