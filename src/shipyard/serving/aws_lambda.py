"""AWS Lambda: the same serving app behind API Gateway, through mangum.

Configure the function with environment variables:

* ``SHIPYARD_SERVE_MODELS`` — references separated by spaces
  (``models:/churn@production``, or a model directory shipped in the package);
* or ``SHIPYARD_SERVE_OPTIONS`` — the full options as JSON (what
  ``shipyard serve`` hands its workers);
* ``SHIPYARD_URI`` / ``SHIPYARD_OBJECTS_PATH`` (``s3://…``) — the metadata and
  object stores a registry reference is fetched from at cold start.

The app is built on the first invocation and kept for the container's life;
the model loads on the first request (its time is the cold-start metric).
Lambda freezes the process between invocations, so there is no reload polling,
no idle unloading and (by default) no inference log here.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.serving.options import OPTIONS_ENV, ServeOptions

__all__ = ["MODELS_ENV", "lambda_handler", "lambda_options"]

MODELS_ENV = "SHIPYARD_SERVE_MODELS"

_handler: Any = None
_loop: asyncio.AbstractEventLoop | None = None


def lambda_options(environ: dict[str, str] | None = None) -> ServeOptions:
    env = os.environ if environ is None else environ
    if env.get(OPTIONS_ENV):
        return ServeOptions.from_json(env[OPTIONS_ENV]).with_(poll_s=0.0, idle_ttl_s=0.0)
    models = tuple(env.get(MODELS_ENV, "").split())
    if not models:
        raise InvalidInput(f"set {MODELS_ENV} to the model(s) this function serves")
    return ServeOptions(models=models, poll_s=0.0, idle_ttl_s=0.0)


def _build() -> Any:
    from mangum import Mangum

    from shipyard.serving.app import create_serving_app

    options = lambda_options()
    ctx = None
    if options.workspace or os.environ.get("SHIPYARD_URI"):
        from shipyard.context import open_context

        ctx = open_context()
    app = create_serving_app(options, ctx=ctx)
    app.state.serving.ready = True  # no lifespan on Lambda: a request loads what it needs
    global _loop
    _loop = asyncio.new_event_loop()  # one loop for the container's life: batchers live on it
    asyncio.set_event_loop(_loop)
    return Mangum(app, lifespan="off")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point (``Handler: shipyard.serving.lambda_handler``)."""
    global _handler
    if _handler is None:
        _handler = _build()
    result: dict[str, Any] = _handler(event, context)
    return result


def reset() -> None:
    """Forget the built app (tests build several with different settings)."""
    global _handler, _loop
    _handler = None
    if _loop is not None:
        asyncio.set_event_loop(None)
        _loop.close()
        _loop = None
