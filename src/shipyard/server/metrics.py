"""Request bookkeeping middleware: Prometheus metrics and request ids.

With several worker processes (``shipyard server --workers N``) each worker
writes its metrics to files in ``PROMETHEUS_MULTIPROC_DIR`` (the server
command sets it), and whichever worker answers ``/metrics`` reports the sum
of all of them (:func:`exposition`).
"""

from __future__ import annotations

import os
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shipyard.core.ids import new_id

__all__ = ["MULTIPROC_ENV", "HttpMetrics", "RequestId", "exposition", "worker_exiting"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The text Prometheus scrapes: this process's registry, or every worker's files."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
        return _generate_latest(combined), CONTENT_TYPE_LATEST
    return _generate_latest(registry), CONTENT_TYPE_LATEST


def worker_exiting() -> None:
    """Drop this worker's live gauges from the shared files (in-flight requests)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """Pure ASGI middleware recording each request under its route template, not its raw path."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "shipyard_http_requests", "HTTP requests answered.",
            ["method", "route", "status"], registry=registry,
        )  # fmt: skip
        self.latency = Histogram(
            "shipyard_http_request_seconds", "Time to answer HTTP requests.",
            ["method", "route"], buckets=_BUCKETS, registry=registry,
        )  # fmt: skip
        self.in_flight = Gauge(
            "shipyard_http_requests_in_flight", "HTTP requests being answered.",
            registry=registry, multiprocess_mode="livesum",
        )  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.in_flight.inc()
        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.in_flight.dec()
            route = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None)
            template = template or "unmatched"
            method = scope.get("method", "?")
            self.requests.labels(method, template, str(status)).inc()
            self.latency.labels(method, template).observe(time.perf_counter() - start)


class RequestId:
    """Gives every request an id (the client's ``X-Request-Id`` if sane) and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"")[:64]
        text = given.decode("ascii", "replace")
        request_id = text if text.isprintable() and text.strip() else new_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def tagging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("ascii", "replace")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, tagging_send)
