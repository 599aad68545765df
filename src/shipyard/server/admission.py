"""At most as many requests in a worker at once as it has database connections.

Routes run in a pool of threads (anyio's, 40 per worker) and hold a database
connection while they work. Without a bound, a burst of clients fills every
thread with requests waiting for a connection or for the audit log's lock, while
the request that holds that lock waits for a free thread to commit: nothing
moves until the pool's 30 s wait gives up. Admitting at most
:data:`~shipyard.store.db.POOL_CONNECTIONS` requests at a time keeps threads
free for the ones inside; the rest wait here, in the event loop, at no cost,
in the order they came.

The liveness probe is never held back: a worker whose connections are all
busy is alive, and a probe that waited behind them would get it restarted.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["LIVENESS_PATH", "Admission"]

LIVENESS_PATH = "/health/live"


class Admission:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limiter = anyio.CapacityLimiter(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == LIVENESS_PATH:
            await self.app(scope, receive, send)
            return
        async with self.limiter:
            await self.app(scope, receive, send)
