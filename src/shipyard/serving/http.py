"""HTTP plumbing shared by both protocols: JSON, statuses, headers, ids, replies.

Statuses for errors come from the shared table (``core/statuses.py``) with serving's
overrides (:data:`SERVING_OVERRIDES`); what a client sees:

==============================================  ======
what                                            status
==============================================  ======
body not parseable, wrong structure, a tensor   400
that contradicts itself (``InvalidInput``)
input does not fit the signature                422  (``SignatureMismatch``: field named)
no such model or version                        404
missing or bad token                            401
token may not predict                           403
body, or what it decodes to, over the limit     413
content type or encoding not accepted           415
a model that failed to load                     503
any other error: as the team server says it     409, 429, 503…
==============================================  ======

Header values are made safe in one place (``header_value``): text that is not
printable ASCII goes out percent-encoded, so no id or name a client chose can
break an answer's headers.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from shipyard.core.errors import (
    IntegrityError,
    InvalidInput,
    ShipyardError,
    SignatureMismatch,
)
from shipyard.core.statuses import StatusTable, status_for
from shipyard.serving.codings import MIN_COMPRESSED_SIZE, answer_coding, compress

if TYPE_CHECKING:
    from shipyard.serving.metrics import ServingMetrics

__all__ = [
    "JSON",
    "SERVING_OVERRIDES",
    "Endpoint",
    "Reply",
    "dumps",
    "error_status",
    "header_value",
    "headers_of",
    "jsonable",
    "loads",
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


_PROCESS = os.urandom(6).hex()
_COUNTER = itertools.count()
MAX_HEADER_ID = 64


def request_id(headers: dict[bytes, bytes]) -> str:
    """The client's ``X-Request-Id`` when it is UTF-8, printable and at most 64 characters,
    else a new id (unique across processes: a random prefix per process and a counter)."""
    given = headers.get(b"x-request-id")
    if given:
        try:
            text = given.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if len(text) <= MAX_HEADER_ID and text.isprintable() and text.strip():
            return text
    return new_request_id()


def new_request_id() -> str:
    return f"{_PROCESS}-{next(_COUNTER)}"


# printable ASCII but "%" (the escape) and " " (trimmed at a value's ends by clients)
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


def header_value(text: str) -> bytes:
    """``text`` as a header value: as is when it is printable ASCII without spaces at its
    ends, else percent-encoded UTF-8 (``urllib.parse.unquote`` gives it back)."""
    if text.isascii() and text.isprintable() and text == text.strip():
        return text.encode("ascii")
    return quote(text, safe=_SAFE).encode("ascii")


SERVING_OVERRIDES: StatusTable = (
    # a well-formed input that does not fit the model's signature (KServe's and
    # MLflow's clients read 422 as "fix the payload"); the team server says 400
    (SignatureMismatch, 422),
    # a model whose files fail their digests cannot be loaded: this model is
    # unavailable, the server is not broken (the team server says 500)
    (IntegrityError, 503),
)
"""Where serving's statuses differ from :data:`~shipyard.core.statuses.STATUS_FOR`, and why."""


def error_status(exc: BaseException) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, ShipyardError):
        return status_for(exc, SERVING_OVERRIDES)
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


def model_headers(name: str, version: str, variant: str, rid: str) -> dict[str, str]:
    return {
        "x-request-id": rid,
        "x-model-name": name,
        "x-model-version": version,
        "x-model-variant": variant,
    }


class Reply:
    """A response sent as two raw ASGI messages (Starlette's Response costs more per request).

    ``metric`` is the (model, version) a prediction endpoint counts the answer under.
    """

    __slots__ = ("body", "headers", "media_type", "metric", "status_code")

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
        self.metric: tuple[str, str] | None = None

    async def send(self, send: Send, accept_encoding: bytes | None = None) -> None:
        """Send the reply, compressed when the client accepts it and it is large."""
        body = self.body
        raw = [(b"content-type", header_value(self.media_type))]
        if len(body) >= MIN_COMPRESSED_SIZE:
            raw.append((b"vary", b"accept-encoding"))
            coding = answer_coding(accept_encoding)
            if coding is not None:
                body = compress(body, coding)
                raw.append((b"content-encoding", coding.encode("ascii")))
        raw.append((b"content-length", str(len(body)).encode("ascii")))
        raw.extend((k.encode("ascii"), header_value(v)) for k, v in self.headers.items())
        await send({"type": "http.response.start", "status": self.status_code, "headers": raw})
        await send({"type": "http.response.body", "body": body})


Handler = Callable[[Request], Awaitable[Reply]]
Count = Callable[[Reply, float], None]


class Endpoint:
    """An ASGI app around ``handler(request) -> Reply``: Starlette routes to it directly,
    without its per-request wrapper and exception middleware (handlers catch everything).

    With ``count``, every answer is counted once it was sent, with the status sent — also
    when the handler itself failed (then a 500 goes out).
    """

    __slots__ = ("count", "handler")

    def __init__(self, handler: Handler, count: Count | None = None) -> None:
        self.handler = handler
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        try:
            reply = await self.handler(Request(scope, receive))
        except Exception as exc:
            reply = Reply(dumps({"error": error_message(exc)}), error_status(exc))
        accept = None
        for key, value in scope["headers"]:
            if key == b"accept-encoding":
                accept = value
                break
        await reply.send(send, accept)
        if self.count is not None:
            self.count(reply, time.perf_counter() - start)


def counter(metrics: ServingMetrics, protocol: str) -> Count:
    """Counts a prediction answer under the model and version its handler named."""

    def count(reply: Reply, seconds: float) -> None:
        model, version = reply.metric or ("unknown", "-")
        metrics.answered(model, version, protocol, reply.status_code, seconds)

    return count


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(dumps(value), status, headers)
