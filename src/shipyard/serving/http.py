"""HTTP plumbing shared by both protocols: bodies, JSON, statuses, headers, auth.

Statuses for errors are decided here only:

=====================================  ======
what                                   status
=====================================  ======
body is not parseable, wrong structure  400
input does not fit the signature       422  (``SignatureMismatch``: the field is named)
no such model or version               404
missing or bad token                   401
token may not predict                  403
body over the limit                    413
content type not accepted              415
a model that failed to load            503
=====================================  ======
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from shipyard.core.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    ShipyardError,
    SignatureMismatch,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "JSON",
    "Endpoint",
    "Reply",
    "dumps",
    "error_status",
    "headers_of",
    "jsonable",
    "loads",
    "read_body",
    "request_id",
]

log = logging.getLogger("shipyard.serving")

JSON = "application/json"
_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=_NUMPY)
    except TypeError:  # object arrays, non-contiguous slices, pandas values
        return orjson.dumps(value, option=_NUMPY, default=_fallback)


def _fallback(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None


def jsonable(outputs: Any) -> Any:
    """Predictions in a form ``dumps`` writes (DataFrames as records, as MLflow does)."""
    if hasattr(outputs, "to_dict") and hasattr(outputs, "columns"):
        return outputs.to_dict("records")
    if hasattr(outputs, "to_numpy"):  # a Series
        return outputs.to_numpy()
    if isinstance(outputs, dict):
        return {k: jsonable(v) for k, v in outputs.items()}
    return outputs


def headers_of(request: Request) -> dict[bytes, bytes]:
    """The request's headers as one dict of raw (lower-case) names: one pass, cheap lookups."""
    return dict(request.scope["headers"])


async def read_body(request: Request, headers: dict[bytes, bytes], max_bytes: int) -> bytes:
    """The whole body; 413 before reading when Content-Length says it is too large, or as
    soon as a streamed body grows past the limit."""
    length = headers.get(b"content-length")
    if length is not None:
        if not length.isdigit():
            raise InvalidInput("Content-Length is not a number")
        if int(length) > max_bytes:
            raise HTTPException(413, too_large(max_bytes))
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            raise InvalidInput("the client went away before sending the whole body")
        chunk: bytes = message.get("body", b"")
        seen += len(chunk)
        if seen > max_bytes:
            raise HTTPException(413, too_large(max_bytes))
        if not message.get("more_body", False):
            if not chunks:
                return chunk
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


def too_large(max_bytes: int) -> str:
    return f"the request body is larger than the limit of {max_bytes:,} bytes"


_PROCESS = os.urandom(6).hex()
_COUNTER = itertools.count()


def request_id(headers: dict[bytes, bytes]) -> str:
    """The client's ``X-Request-Id`` when it is short and printable, else a new id
    (unique across processes: a random prefix per process and a counter)."""
    given = headers.get(b"x-request-id")
    if given:
        text = given.decode("latin-1")
        if len(text) <= 64 and text.isprintable() and text.strip():
            return text
    return f"{_PROCESS}-{next(_COUNTER)}"


def error_status(exc: BaseException) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, SignatureMismatch):
        return 422
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Unauthenticated):
        return 401
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, Unavailable | ShipyardError):
        return 503
    return 500


def error_message(exc: BaseException) -> str:
    if isinstance(exc, HTTPException):
        return str(exc.detail)
    if isinstance(exc, ShipyardError):
        return exc.one_line()
    log.exception("unexpected error while answering a request", exc_info=exc)
    return "internal error while answering the request (see the server log)"


def error_type(exc: BaseException) -> str:
    return "HTTPError" if isinstance(exc, HTTPException) else type(exc).__name__


def content_type(headers: dict[bytes, bytes]) -> tuple[str, dict[str, str]]:
    """The media type (lower case) and its parameters."""
    header = headers.get(b"content-type", b"").decode("latin-1")
    if header == "application/json":
        return header, {}
    parts = [p.strip() for p in header.split(";")]
    params = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        params[key.strip().lower()] = value.strip().strip('"').lower()
    return parts[0].lower(), params


def check_charset(params: dict[str, str]) -> None:
    charset = params.get("charset", "utf-8")
    if charset not in ("utf-8", "utf8"):
        raise HTTPException(415, f"only UTF-8 bodies are accepted, not {charset}")


def model_headers(name: str, version: str, variant: str, rid: str) -> dict[str, str]:
    return {
        "x-request-id": rid,
        "x-model-name": name,
        "x-model-version": version,
        "x-model-variant": variant,
    }


class Reply:
    """A response sent as two raw ASGI messages (Starlette's Response costs more per request)."""

    __slots__ = ("body", "headers", "media_type", "status_code")

    def __init__(
        self,
        content: bytes | str,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str = JSON,
    ) -> None:
        self.body = content.encode("utf-8") if isinstance(content, str) else content
        self.status_code = status_code
        self.headers = headers if headers is not None else {}
        self.media_type = media_type

    async def send(self, send: Send) -> None:
        raw = [
            (b"content-type", self.media_type.encode("latin-1")),
            (b"content-length", str(len(self.body)).encode("latin-1")),
        ]
        raw.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items())
        await send({"type": "http.response.start", "status": self.status_code, "headers": raw})
        await send({"type": "http.response.body", "body": self.body})


Handler = Callable[[Request], Awaitable[Reply]]


class Endpoint:
    """An ASGI app around ``handler(request) -> Reply``: Starlette routes to it directly,
    without its per-request wrapper and exception middleware (handlers catch everything)."""

    __slots__ = ("handler",)

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reply = await self.handler(Request(scope, receive))
        await reply.send(send)


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(dumps(value), status, headers)
