"""The serving app: Starlette routes of both protocols, ``/metrics``, and the lifespan.

Separate from the team server (``shipyard server``): no FastAPI, no
middleware on the hot path, JSON by orjson. ``create_serving_app`` builds it
for Python callers and tests; uvicorn's worker processes call
``app_from_environment`` (options handed over in ``SHIPYARD_SERVE_OPTIONS``).
"""

from __future__ import annotations

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

from shipyard.serving.http import dumps
from shipyard.serving.metrics import CONTENT_TYPE_LATEST
from shipyard.serving.options import ServeOptions
from shipyard.serving.protocols import mlflow, oip
from shipyard.serving.service import Serving
from shipyard.serving.source import ModelSource

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["app_from_environment", "create_serving_app"]

log = logging.getLogger("shipyard.serving")


def create_serving_app(
    options: ServeOptions,
    *,
    ctx: Context | None = None,
    sources: list[ModelSource] | None = None,
) -> Starlette:
    """The serving app; ``ctx`` (a workspace or store) enables the inference log and --auth."""
    service = Serving(options, ctx=ctx, sources=sources)

    async def metrics(_: Request) -> Response:
        return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)

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
    return app


def app_from_environment() -> Starlette:
    """What each uvicorn worker process calls (``shipyard serve --workers N``)."""
    options = ServeOptions.from_environment()
    ctx = None
    if options.workspace:
        from shipyard.context import open_context

        ctx = open_context(Path(options.workspace))
    return create_serving_app(options, ctx=ctx)
