"""What every MLflow route shares: the project it works in, and MLflow's error shape.

Errors are decided where Shipyard decides them (the app's handlers in
:mod:`shipyard.server.errors`: status, audit of denials) and only reshaped
here into MLflow's body, ``{"error_code": …, "message": …}``, which MLflow's
client turns into an ``MlflowException`` with that code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from shipyard.context import Context
from shipyard.core.errors import InvalidInput, ShipyardError
from shipyard.core.project_names import check_project_name
from shipyard.server.security import request_context

__all__ = ["ARTIFACTS_PREFIX", "PREFIX", "Ctx", "MlflowRoute", "error", "ok", "project_of"]

PREFIX = "/api/2.0/mlflow"
ARTIFACTS_PREFIX = "/api/2.0/mlflow-artifacts"

log = logging.getLogger("shipyard.mlflow_api")

_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    409: "INVALID_STATE",
    413: "INVALID_PARAMETER_VALUE",
    416: "INVALID_PARAMETER_VALUE",
    422: "INVALID_PARAMETER_VALUE",
    429: "REQUEST_LIMIT_EXCEEDED",
    503: "TEMPORARILY_UNAVAILABLE",
}


def error(code: int, message: str, kind: str = "") -> JSONResponse:
    """MLflow's error body; 422 (a field of the wrong shape) answers 400, as MLflow does.
    ``kind`` is Shipyard's error class, for the one code a status does not decide."""
    status = 400 if code == 422 else code
    name = "RESOURCE_ALREADY_EXISTS" if kind == "AlreadyExists" else _CODES.get(code)
    text = " ".join(message.split())
    return JSONResponse({"error_code": name or "INTERNAL_ERROR", "message": text},
                        status_code=status)  # fmt: skip


def ok(body: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse(body or {})


class MlflowRoute(APIRoute):
    """A route whose errors answer in MLflow's shape (status decided by Shipyard's handlers)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (ShipyardError, RequestValidationError, HTTPException) as exc:
                answer = await _shipyard_answer(request, exc)
            except Exception:  # reshaped like Shipyard's own: nothing but a request id
                request_id = getattr(request.state, "request_id", "-")
                log.exception("unexpected error in %s %s", request.method, request.url.path)
                return error(500, f"internal error (request {request_id})")
            return _reshaped(answer)

        return handle


async def _shipyard_answer(request: Request, exc: Exception) -> Response:
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        if cls in handlers:
            answer: Response = await handlers[cls](request, exc)
            return answer
    raise exc


def _reshaped(answer: Response) -> Response:
    try:
        detail = json.loads(bytes(answer.body))["error"]
    except (ValueError, KeyError, TypeError):
        return answer
    message = detail.get("message", "")
    if detail.get("hint"):
        message = f"{message} ({detail['hint']})"
    reshaped = error(answer.status_code, message, str(detail.get("type", "")))
    for name in ("www-authenticate", "retry-after", "allow"):
        if name in answer.headers:
            reshaped.headers[name] = answer.headers[name]
    return reshaped


def project_of(ctx: Context) -> str:
    """The project MLflow calls work in: the token's, if it is scoped to one; else the
    caller's only project; else the server's ``project.name`` (``SHIPYARD_PROJECT``)."""
    principal = ctx.principal
    if principal.token is not None and principal.token.project is not None:
        return principal.token.project
    if not principal.admin and principal.everywhere is None and len(principal.roles) == 1:
        return next(iter(principal.roles))
    project = ctx.project
    try:
        check_project_name(project)
    except InvalidInput as exc:
        raise InvalidInput(
            "the server has no project for MLflow calls",
            hint="use a token scoped to a project (shipyard tokens create --project …)",
        ) from exc
    return project


Ctx = Annotated[Context, Depends(request_context)]
