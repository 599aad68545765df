"""MLflow's REST API, mounted at the server's root (``/api/2.0/…``), outside ``/api/v1``.

Listed in :data:`shipyard.server.app.ROUTE_MODULES`; the app mounts
``root_router`` without the ``/api/v1`` prefix. Every route authenticates
(``request_context``) and stays out of Shipyard's published OpenAPI schema:
it is MLflow's API, documented by MLflow (compatibility: docs/migrating.md).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shipyard.mlflow_api import artifacts, experiments, logged_models, logs, registry, runs
from shipyard.mlflow_api.routing import Ctx, MlflowRoute, ok

__all__ = ["root_router", "router"]

router = APIRouter()
"""Nothing under ``/api/v1``."""

root_router = APIRouter(route_class=MlflowRoute, include_in_schema=False)


@root_router.get("/api/3.0/mlflow/server-info")
def server_info(_ctx: Ctx) -> JSONResponse:
    """What MLflow's client asks before it uploads: artifacts go through this server."""
    return ok({"store_type": "SqlStore", "artifact_serving_enabled": True,
               "multipart_uploads_enabled": False, "multipart_downloads_enabled": False,
               "workspaces_enabled": False})  # fmt: skip


for module in (experiments, runs, logs, logged_models, registry, artifacts):
    root_router.include_router(module.router)
