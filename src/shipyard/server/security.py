"""Who is asking: bearer tokens turned into a per-request context.

Every route under ``/api`` depends on :func:`request_context`, so no route can
forget authentication; authorisation is then checked by the services, with the
principal the context carries. Token lookups are cached for a few seconds per
process (a revoked token stops working within that time on every replica).
"""

from __future__ import annotations

import hashlib
import threading
import time

from fastapi import Request

from shipyard.context import Context
from shipyard.core.errors import Unauthenticated
from shipyard.core.principal import Principal

__all__ = ["PrincipalCache", "bearer_token", "request_context"]

CACHE_SECONDS = 5.0


class PrincipalCache:
    """Recently authenticated tokens: digest → (principal, expiry on the monotonic clock)."""

    def __init__(self, ttl: float = CACHE_SECONDS, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, key: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[1] < time.monotonic():
                self._entries.pop(key, None)
                return None
            return entry[0]

    def put(self, key: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = (principal, time.monotonic() + self.ttl)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "this needs authentication",
            hint="send the header `Authorization: Bearer <token>` (see `shipyard login`)",
        )
    return token.strip()


def request_context(request: Request) -> Context:
    """The context of this request: the server's stores, acting for the token's principal."""
    from shipyard.auth.service import AuthService

    base: Context = request.app.state.ctx
    cache: PrincipalCache = request.app.state.principals
    token = bearer_token(request)
    key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    principal = cache.get(key)
    if principal is None:
        principal = AuthService(base.db).authenticate(token)
        cache.put(key, principal)
    client = request.client.host if request.client else "unknown"
    token_id = token.split("_")[1] if token.count("_") >= 2 else "?"
    ctx = base.as_principal(
        Principal(
            name=principal.name, kind=principal.kind, admin=principal.admin,
            roles=principal.roles, everywhere=principal.everywhere,
            source=f"{client} token:{token_id}",
        )
    )  # fmt: skip
    request.state.ctx = ctx
    return ctx
