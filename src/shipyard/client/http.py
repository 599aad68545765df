"""The HTTP client of remote mode: one keep-alive pool, retries, errors translated back.

Requests that are safe to repeat are retried with exponential backoff and
jitter on network errors, 502/503/504, 429, and a 409 that carries
``Retry-After`` (another copy of the request is being answered):

* writes carry an ``Idempotency-Key`` (this client adds one to every write),
  the same on each retry, and the server applies a key once; so a write is
  retried for as long as it takes, up to a deadline (``client.retry_deadline_s``,
  two minutes by default), and then fails with :class:`Unavailable` saying
  how long it tried: its outcome is unknown, and sending it again with the
  same key is safe;
* reads are retried a few times (``retries``), streamed ones included, until
  their answer starts (a download cut later resumes by ``Range``: http_store.py).

So a server replica that dies behind a proxy (which then answers 502, or drops
the connection) is invisible to callers. A certificate the client does not
trust is never retried: it will not become trusted by waiting.

The server's JSON errors come back as the same :class:`ShipyardError` subclasses
the local backend raises, so callers cannot tell the two apart.
"""

from __future__ import annotations

import random
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx

from shipyard import _version
from shipyard.core import errors as e
from shipyard.core.redact import redact_uri

__all__ = ["ApiClient", "read_answer"]

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_BACKOFF_S = 5.0
"""The longest pause between two tries (before jitter)."""
MAX_RATE_WAIT_S = 30.0
"""A 429 asking to wait longer is raised at once (a locked login, say), not waited out."""
DEFAULT_RETRY_DEADLINE_S = 120.0
_ERRORS: dict[str, type[e.ShipyardError]] = {
    name: cls
    for name, cls in vars(e).items()
    if isinstance(cls, type) and issubclass(cls, e.ShipyardError)
}


class ApiClient:
    """A client of one server (``https://host:port``), authenticated by one token."""

    def __init__(
        self,
        base_url: str,
        token: str = "",
        *,
        ca_bundle: str = "",
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.25,
        retry_deadline_s: float = DEFAULT_RETRY_DEADLINE_S,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        """Retries of a read (writes are retried until ``retry_deadline_s``)."""
        self.backoff = backoff
        self.retry_deadline_s = retry_deadline_s
        self._clock = clock  # injectable, so tests never wait
        self._sleep = sleep
        verify: ssl.SSLContext | bool = True
        if ca_bundle:
            verify = ssl.create_default_context(cafile=ca_bundle)
        prefix, _, rest = token.partition("_")
        self.token_id = rest.partition("_")[0] if prefix == "shy" else ""
        """The public id of the token (``shy_<id>_…``): the server scopes idempotency keys
        by credentials, so a replay must come with the same token."""
        headers = {"User-Agent": f"shipyard/{_version.__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            verify=verify,
            timeout=timeout,
            limits=httpx.Limits(max_keepalive_connections=16, max_connections=32),
            transport=transport,
        )
        self._requests = 0
        self._count_lock = threading.Lock()

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self._requests

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        read_only: bool = False,
        timeout: float | None = None,
        deadline_s: float | None = None,
    ) -> httpx.Response:
        """Send a request, retrying what is safe to retry; raise ShipyardError on 4xx/5xx.

        Writes carry an ``Idempotency-Key`` (the same on every retry) unless
        ``read_only`` says the request only reads (a search sent as POST).
        ``timeout`` overrides the client's for this request (long checks);
        ``deadline_s`` overrides how long a keyed write is retried (0: one try).
        """
        extra = dict(headers or {})
        if method.upper() != "GET" and not read_only:
            extra.setdefault("Idempotency-Key", uuid.uuid4().hex)
        keyed = "Idempotency-Key" in extra
        options: dict[str, Any] = {}
        if timeout is not None:
            options["timeout"] = timeout
        started = self._clock()
        deadline = started + (self.retry_deadline_s if deadline_s is None else deadline_s)
        attempt = 0
        while True:
            self._count()
            attempt += 1
            wait = 0.0
            try:
                answer = self._http.request(
                    method,
                    path,
                    json=json,
                    params=params,
                    content=content,
                    headers=extra,
                    **options,
                )
            except httpx.TransportError as exc:
                if _untrusted(exc):
                    raise self._unreachable(exc) from exc
                failure: httpx.Response | httpx.TransportError = exc
            else:
                if not _retryable(answer):
                    if answer.status_code >= 400:
                        raise _error_from(answer)
                    return answer
                failure = answer
                wait = _seconds(answer.headers.get("retry-after", "0"))
            pause = max(wait, self._backoff(attempt))
            if _is_429(failure) and wait > MAX_RATE_WAIT_S:
                raise self._gave_up(failure, attempt, self._clock() - started)  # say so now
            if keyed:
                left = deadline - self._clock()
                if left <= 0 or (_is_429(failure) and wait > left):
                    raise self._gave_up(failure, attempt, self._clock() - started)
                pause = min(pause, left)
            elif attempt > self.retries:
                raise self._gave_up(failure, attempt, self._clock() - started)
            self._sleep(pause)

    def _backoff(self, attempt: int) -> float:
        """Exponential, capped, with jitter so that many clients do not retry in step."""
        base = min(MAX_BACKOFF_S, self.backoff * 2 ** (attempt - 1))
        return float(base * (0.5 + random.random()))  # noqa: S311

    def _gave_up(
        self, failure: httpx.Response | httpx.TransportError, attempts: int, spent: float
    ) -> e.ShipyardError:
        tried = f"gave up after {attempts} tries over {_span(spent)}"
        if isinstance(failure, httpx.TransportError):
            lost = self._unreachable(failure)
            return e.Unavailable(f"{lost.message} ({tried})", hint=lost.hint)
        error = _error_from(failure)
        if isinstance(error, e.RateLimited):
            return error
        if isinstance(error, e.Unavailable):  # the server's own words, and how long we tried
            error.message = f"{error.message} ({tried})"
            return error
        # 502/504, or a 409 "still being answered": the outcome is unknown, so the
        # caller must treat it as a server it could not reach (and may send it again).
        return e.Unavailable(
            f"the Shipyard server at {redact_uri(self.base_url)} answered "
            f"{failure.status_code}: {error.message} ({tried})",
            hint="the server or its database is overloaded or restarting: try again later",
        )

    def _count(self) -> None:
        with self._count_lock:
            self._requests += 1

    def get(self, path: str, **params: Any) -> Any:
        """GET a JSON answer; parameters that are None are left out."""
        given = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, params=given).json()

    def post(self, path: str, body: Any = None) -> Any:
        answer = self.request("POST", path, json=body)
        return answer.json() if answer.content else None

    @contextmanager
    def stream(
        self, method: str, path: str, *, read_only: bool = False, **kwargs: Any
    ) -> Iterator[httpx.Response]:
        """A streamed answer (large downloads); errors raised as ShipyardError.

        A GET (or a ``read_only`` request) is retried like a read until its answer
        starts; a failure while the caller reads the body is raised, not retried.
        """
        safe = read_only or method.upper() in ("GET", "HEAD")
        started = self._clock()
        attempt = 0
        while True:
            self._count()
            attempt += 1
            failure: httpx.Response | httpx.TransportError
            yielded = False
            try:
                with self._http.stream(method, path, **kwargs) as answer:
                    if not (safe and _retryable(answer)):
                        if answer.status_code >= 400:
                            answer.read()
                            raise _error_from(answer)
                        yielded = True
                        yield answer
                        return
                    answer.read()
                    failure = answer
            except httpx.TransportError as exc:
                if yielded or not safe or _untrusted(exc):
                    raise self._unreachable(exc) from exc
                failure = exc
            if attempt > self.retries:
                raise self._gave_up(failure, attempt, self._clock() - started)
            wait = 0.0
            if isinstance(failure, httpx.Response):
                wait = _seconds(failure.headers.get("retry-after", "0"))
            if wait > MAX_RATE_WAIT_S:
                raise self._gave_up(failure, attempt, self._clock() - started)
            self._sleep(max(wait, self._backoff(attempt)))

    def _unreachable(self, exc: httpx.TransportError) -> e.Unavailable:
        reason = str(exc) or type(exc).__name__
        hint = "check the URL, that the server runs, and your network"
        if "CERTIFICATE_VERIFY_FAILED" in reason:
            hint = (
                "the server's certificate is not trusted: set SHIPYARD_CA_BUNDLE "
                "(or SHIPYARD_CLIENT_CA_BUNDLE) to the file of your CA's certificates"
            )
        return e.Unavailable(
            f"cannot reach the Shipyard server at {redact_uri(self.base_url)}: {reason}",
            hint=hint,
        )


def read_answer(parse: Callable[[Any], T], data: Any) -> T:
    """Parse a JSON answer; one this client cannot read is reported as the server's fault."""
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise e.Unavailable(
            f"the server sent an answer this Shipyard cannot read ({type(exc).__name__}: {exc})",
            hint="check that client and server run the same Shipyard version",
        ) from exc


def _retryable(answer: httpx.Response) -> bool:
    if answer.status_code == 409:  # the same request is still being answered
        return "retry-after" in answer.headers
    if answer.status_code == 503 and b"SchemaOutOfDate" in answer.content:
        return False  # waits for an administrator, not for time
    return answer.status_code in RETRY_STATUSES


def _untrusted(exc: BaseException) -> bool:
    """A TLS certificate this client refused (anywhere in the exception's chain)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _is_429(failure: httpx.Response | httpx.TransportError) -> bool:
    return isinstance(failure, httpx.Response) and failure.status_code == 429


def _span(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def _seconds(text: str) -> float:
    try:
        return max(0.0, float(text))
    except ValueError:
        return 1.0


def _error_from(answer: httpx.Response) -> e.ShipyardError:
    try:
        body = answer.json().get("error", {})
    except (ValueError, AttributeError):
        body = {}
    if not isinstance(body, dict):
        body = {"message": str(body)}
    kind = str(body.get("type", ""))
    message = str(body.get("message") or f"the server answered {answer.status_code}")
    hint = body.get("hint")
    if answer.status_code == 429:
        return e.RateLimited(message, retry_after=int(_seconds(answer.headers.get(
            "retry-after", "1"))), hint=hint)  # fmt: skip
    cls = _ERRORS.get(kind)
    if cls is None or cls is e.RateLimited:
        cls = _STATUS_DEFAULTS.get(answer.status_code, e.ShipyardError)
    fields = body.get("fields")
    if isinstance(fields, dict) and fields:
        try:
            return cls(message, hint=hint, **fields)
        except (TypeError, ValueError):
            pass  # fields of another version of the server: keep the message
    return cls(message, hint=hint)


_STATUS_DEFAULTS: dict[int, type[e.ShipyardError]] = {
    400: e.InvalidInput,
    401: e.Unauthenticated,
    403: e.PermissionDenied,
    404: e.NotFound,
    409: e.Conflict,
    413: e.InvalidInput,
    415: e.InvalidInput,
    422: e.InvalidInput,
    500: e.ShipyardError,
    502: e.Unavailable,  # a proxy whose replica died or is down
    503: e.Unavailable,
    504: e.Unavailable,
}
