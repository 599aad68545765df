"""The serving app: Starlette routes of both protocols, ``/metrics``, and the lifespan.

Separate from the team server (``shipyard server``): no FastAPI, no
middleware on the hot path, JSON by orjson. ``create_serving_app`` builds it
for Python callers and tests; uvicorn's worker processes call
``app_from_environment`` (options handed over in ``SHIPYARD_SERVE_OPTIONS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from shipyard.models.source import ModelSource
from shipyard.serving.http import dumps
from shipyard.serving.metrics import CONTENT_TYPE_LATEST
from shipyard.serving.options import ServeOptions
from shipyard.serving.protocols import mlflow, oip
from shipyard.serving.service import Serving

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["app_from_environment", "create_serving_app"]

log = logging.getLogger("shipyard.serving")


def create_serving_app(
    options: ServeOptions,
    *,
    ctx: Context | None = None,
    sources: list[ModelSource] | None = None,
) -> HotPath:
    """The serving app; ``ctx`` (a workspace or store) enables the inference log and --auth."""
    service = Serving(options, ctx=ctx, sources=sources)

    async def metrics(_: Request) -> Response:
        # in a thread: the monitors' gauges come from the metadata store, never block requests
        body = await asyncio.to_thread(service.metrics.render)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def not_found(_: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return Response(dumps({"error": message}), status, media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    routes = [
        *mlflow.routes(service),
        *oip.routes(service),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: not_found},
    )
    app.state.serving = service
    hot = next(r.app for r in routes if isinstance(r, Route) and r.path == "/invocations")
    return HotPath(app, {"/invocations": hot})


class HotPath:
    """``POST /invocations`` straight to its endpoint; everything else through Starlette.

    The MLflow route is the one benchmarks and most clients hit; skipping the router
    and Starlette's two middleware layers saves about 25 µs a request.
    """

    def __init__(self, app: Starlette, posts: dict[str, ASGIApp]) -> None:
        self.app = app
        self.state = app.state
        self.posts = posts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self.posts.get(scope["path"])
            if endpoint is not None:
                scope["path_params"] = {}
                await endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


def app_from_environment() -> HotPath:
    """What each uvicorn worker process calls (``shipyard serve --workers N``)."""
    options = ServeOptions.from_environment()
    ctx = None
    if options.workspace:
        from shipyard.context import open_context

        ctx = open_context(Path(options.workspace))
    return create_serving_app(options, ctx=ctx)
