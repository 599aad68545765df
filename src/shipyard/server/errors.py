"""HTTP statuses for Shipyard's errors, decided here and nowhere else.

Every error answer has the same JSON shape::

    {"error": {"type": "NotFound", "message": "no model 'churn'", "hint": "…"}}

plus ``"fields"`` for errors that carry some (a query error's position, the
object an integrity error names), so the remote client raises the same error.

Bad input is always a 4xx with a message naming what was wrong; an
unexpected failure is a 500 that reveals nothing but a request id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from shipyard.core import errors as e
from shipyard.core.statuses import STATUS_FOR, status_for
from shipyard.server.head import HEAD_KEY
from shipyard.server.limits import too_large_message
from shipyard.store.db import Busy, NoFreeConnection

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazily included routers: app.routes lists every route

    def iter_route_contexts(routes: Sequence[Any]) -> Iterator[Any]:  # type: ignore[misc]
        return iter(routes)


__all__ = [
    "ERROR_RESPONSES",
    "STATUS_FOR",
    "ErrorBody",
    "error_body",
    "install_error_handlers",
    "status_for",
]

log = logging.getLogger("shipyard.server")


class ErrorDetail(BaseModel):
    type: str = Field(description="The error's class: NotFound, PermissionDenied…")
    message: str = Field(description="What went wrong.")
    hint: str | None = Field(default=None, description="What to do about it.")
    fields: dict[str, Any] | None = Field(
        default=None, description="Data the error carries (a query error's position…)."
    )


class ErrorBody(BaseModel):
    """The shape of every error answer."""

    error: ErrorDetail


_DESCRIPTIONS = {
    400: "Bad input: the message names what is wrong",
    401: "No valid token",
    403: "The token's user may not do this",
    404: "No such thing (or not in this project)",
    409: "The current state forbids the change",
    413: "The request body is over the limit",
    416: "The range asked for is beyond the object",
    422: "A field has the wrong type or shape",
    429: "Too many attempts: retry after Retry-After seconds",
    503: "A store the server needs is unreachable",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _DESCRIPTIONS.items()
}
"""The error answers every API route may give, for its OpenAPI document."""


def error_body(
    kind: str, message: str, hint: str | None = None, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "message": message}
    if hint:
        body["hint"] = hint
    if fields:
        body["fields"] = fields
    return {"error": body}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(e.ShipyardError, _shipyard_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _shipyard_error(request: Request, error: e.ShipyardError) -> JSONResponse:
    status = status_for(error)
    headers: dict[str, str] = {}
    if isinstance(error, e.Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, e.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, Busy | NoFreeConnection):  # nothing applied: send the same again
        headers["Retry-After"] = "1"
    if isinstance(error, e.PermissionDenied):
        _audit_denial(request, error)
    message = error.message if error.details() else " ".join(error.message.split())
    body = error_body(type(error).__name__, message, error.hint, error.fields())
    return JSONResponse(body, status_code=status, headers=headers)


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = error.errors()
    first = problems[0] if problems else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    if first.get("type") == "json_invalid":
        message = f"the request body is not valid JSON: {first.get('msg', '')}"
        return JSONResponse(error_body("InvalidInput", message), status_code=400)
    message = f"{where}: {first.get('msg', 'invalid value')}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem(s))"
    return JSONResponse(error_body("InvalidInput", message), status_code=422)


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    if error.status_code == 405:
        return _not_allowed(request)
    kinds = {404: "NotFound", 405: "MethodNotAllowed", 413: "TooLarge", 415: "UnsupportedMedia"}
    kind = kinds.get(error.status_code, "HTTPError")
    message = str(error.detail)
    if error.status_code == 413:
        message = too_large_message(getattr(request.app.state, "max_body", 0))
    return JSONResponse(
        error_body(kind, message),
        status_code=error.status_code,
        headers=getattr(error, "headers", None),
    )


def _not_allowed(request: Request) -> Response:
    """``OPTIONS`` answers which methods the path takes; any other method it lacks is a 405.

    Starlette names only the methods of the first route that matched the path,
    and one path has a route per method: ``Allow`` lists them all.
    """
    table = getattr(request.app.state, "methods_by_path", None)
    if table is None:
        table = request.app.state.methods_by_path = _methods_by_path(request.app)
    allowed = {"OPTIONS"}
    for pattern, methods in table:
        if pattern.match(request.scope["path"]):
            allowed |= methods
    if "GET" in allowed:
        allowed.add("HEAD")  # answered as the GET by server/head.py
    allow = {"Allow": ", ".join(sorted(allowed))}
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=allow)
    method = "HEAD" if request.scope.get(HEAD_KEY) else request.method
    message = f"{method} is not allowed here (allowed: {allow['Allow']})"
    return JSONResponse(error_body("MethodNotAllowed", message), status_code=405, headers=allow)


def _methods_by_path(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    table = []
    for route in iter_route_contexts(app.routes):
        if route.path and route.methods:
            table.append((compile_path(route.path)[0], frozenset(route.methods)))
    return table


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "-")
    log.exception("unexpected error in %s %s (request %s)", request.method, request.url.path,
                  request_id)  # fmt: skip
    message = f"internal error (request {request_id}); the server log has the details"
    return JSONResponse(error_body("InternalError", message), status_code=500)


def _audit_denial(request: Request, error: e.PermissionDenied) -> None:
    """Permission denials are audited, in their own transaction (the request's rolled back)."""
    from shipyard.store import audit

    ctx = getattr(request.state, "ctx", None)
    if ctx is None:
        return
    try:
        with ctx.db.write() as session:
            audit.record(
                session, ctx.principal, "auth.denied", f"{request.method} {request.url.path}",
                detail={"reason": error.message},
            )  # fmt: skip
    except e.ShipyardError:
        log.warning("could not audit a permission denial for %s", ctx.principal.name)
