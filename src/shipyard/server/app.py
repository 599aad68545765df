"""The team server's FastAPI application, assembled from every domain's routes.

``/health/live`` (the process answers) and ``/health`` (the metadata store
answers too) are public, ``/metrics`` is public only when configured, login is
public; every other route lives under ``/api/v1`` behind
:func:`shipyard.server.security.request_context`, which authenticates the
bearer token and gives the route a context acting for that principal.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Response
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from shipyard._version import __version__
from shipyard.context import Context
from shipyard.core.errors import ShipyardError
from shipyard.server.admission import LIVENESS_PATH, Admission
from shipyard.server.errors import ERROR_RESPONSES, error_body, install_error_handlers
from shipyard.server.head import HeadAsGet
from shipyard.server.idempotency import Idempotency
from shipyard.server.limits import BodyLimit
from shipyard.server.metrics import HttpMetrics, RequestId, exposition, worker_exiting
from shipyard.server.openapi import install_openapi
from shipyard.server.security import PrincipalCache, request_context
from shipyard.store.db import POOL_CONNECTIONS

__all__ = ["API_PREFIX", "ROUTE_MODULES", "create_app"]

API_PREFIX = "/api/v1"

ROUTE_MODULES = (
    "shipyard.auth.routes",
    "shipyard.auth.sso_routes",
    "shipyard.data.routes",
    "shipyard.monitoring.live.routes",
    "shipyard.objects.routes",
    "shipyard.pipelines.routes",
    "shipyard.projects_io.routes",
    "shipyard.registry.routes",
    "shipyard.tracking.routes",
)
"""Modules exposing ``router`` (authenticated) and optionally ``public_router``."""


def create_app(ctx: Context) -> FastAPI:
    """The API app over ``ctx``'s stores; the app closes them when it shuts down."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ctx.db  # noqa: B018  (fail at start-up, not at the first request, on a bad store)
        from shipyard.audit.schedule import start_checkpoints

        # Signed audit checkpoints every audit.checkpoint_interval (None: no key configured).
        checkpoints = _app.state.audit_checkpoints = start_checkpoints(ctx)
        yield
        if checkpoints is not None:
            checkpoints.stop()
        if (oidc := getattr(_app.state, "oidc", None)) is not None:
            oidc.close()  # single sign-on's client of the OpenID provider
        worker_exiting()
        ctx.close()

    max_body = ctx.settings.server.max_body_mb * 1024 * 1024
    app = FastAPI(
        title="Shipyard",
        version=__version__,
        description="The Shipyard team server: data, runs, models and their audit trail.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.principals = PrincipalCache()
    registry = CollectorRegistry()
    app.state.registry = registry
    from shipyard.monitoring.live.gauges import MonitorCollector

    registry.register(MonitorCollector(lambda: ctx.db))  # what the monitors found, every project
    install_error_handlers(app)

    app.state.max_body = max_body
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodyLimit, max_bytes=max_body)
    app.add_middleware(Idempotency, ctx=ctx)
    app.add_middleware(Admission, limit=POOL_CONNECTIONS)
    app.add_middleware(RequestId)
    app.add_middleware(HttpMetrics, registry=registry)

    @app.get(
        LIVENESS_PATH, tags=["operations"], response_model=LiveOut,
        summary="Liveness: the process answers (touches no store)",
    )  # fmt: skip
    def live() -> Response:
        return _json({"status": "ok"}, 200)

    @app.get(
        "/health", tags=["operations"], response_model=HealthOut,
        responses={503: ERROR_RESPONSES[503]},
        summary="Readiness: the metadata store answers",
    )  # fmt: skip
    def health() -> Response:
        try:
            ctx.db.ping()
        except ShipyardError as exc:
            return _json(error_body("Unavailable", exc.one_line()), 503)
        return _json({"status": "ok", "version": __version__}, 200)

    metrics_deps = [] if ctx.settings.server.public_metrics else [Depends(request_context)]

    metrics_answers: dict[int | str, dict[str, Any]] = {
        200: {"content": {"text/plain": {"schema": {"type": "string"}}},
              "description": "Prometheus text exposition"},
        401: ERROR_RESPONSES[401],
    }  # fmt: skip

    @app.get("/metrics", tags=["operations"], dependencies=metrics_deps,
             summary="Prometheus metrics", response_class=Response,
             responses=metrics_answers)  # fmt: skip
    def metrics() -> Response:
        body, media_type = exposition(registry)
        return Response(body, media_type=media_type)

    api = APIRouter(
        prefix=API_PREFIX, dependencies=[Depends(request_context)], responses=ERROR_RESPONSES
    )
    public = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    for name in ROUTE_MODULES:
        module = importlib.import_module(name)
        api.include_router(module.router)
        if hasattr(module, "public_router"):
            public.include_router(module.public_router)
    app.include_router(public)
    app.include_router(api)
    _install_ui(app)
    install_openapi(app)
    return app


def _install_ui(app: FastAPI) -> None:
    """The web UI at ``/`` (its assets read once, here) and the browser's session routes."""
    from shipyard.ui.assets import Assets
    from shipyard.ui.routes import router as ui_router

    app.state.ui_assets = Assets()
    app.include_router(ui_router)


class LiveOut(BaseModel):
    status: str


class HealthOut(BaseModel):
    status: str
    version: str


def _json(body: dict[str, Any], status: int) -> Response:
    import json

    return Response(json.dumps(body), status_code=status, media_type="application/json")
