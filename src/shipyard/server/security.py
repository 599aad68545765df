"""Who is asking: bearer tokens (or a browser's session cookie) turned into a
per-request context.

Every route under ``/api`` depends on :func:`request_context`, so no route can
forget authentication; authorisation is then checked by the services, with the
principal the context carries. Token lookups are cached for a few seconds per
process (a revoked token stops working within that time on every replica);
an entry never outlives the token's own expiry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shipyard.context import Context
from shipyard.core.errors import Unauthenticated
from shipyard.core.principal import Principal
from shipyard.store.base import utcnow

__all__ = [
    "BEARER_SCHEME",
    "PrincipalCache",
    "authenticate",
    "bearer_token",
    "request_context",
    "request_token",
]

CACHE_SECONDS = 1.0
"""How long a token lookup is reused by one process: a revoked or narrowed token stops
working on every replica within this time (one lookup a second per token and worker)."""
BEARER_SCHEME = "bearer"
"""The name of the token scheme in ``/openapi.json``'s ``securitySchemes``."""

# Declares the scheme in the OpenAPI document, on every operation that authenticates;
# the token itself is read by bearer_token (its own one-line 401).
_DECLARED = HTTPBearer(
    scheme_name=BEARER_SCHEME,
    auto_error=False,
    description="An API token (`shipyard tokens create`) or the token `POST /api/v1/auth/login` "
    "answers: `Authorization: Bearer shy_…`.",
)


class PrincipalCache:
    """Recently authenticated tokens: digest → (principal, expiry on the monotonic clock).

    An entry lasts ``ttl`` seconds, or until its token expires if that is sooner
    (measured on the wall clock when it is stored). The clocks are injectable
    for tests.
    """

    def __init__(
        self,
        ttl: float = CACHE_SECONDS,
        size: int = 10_000,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = utcnow,
    ) -> None:
        self.ttl = ttl
        self.size = size
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, key: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[1] <= self._monotonic():
                self._entries.pop(key, None)
                return None
            return entry[0]

    def put(self, key: str, principal: Principal) -> None:
        lifetime = self.ttl
        expires_at = principal.token.expires_at if principal.token is not None else None
        if expires_at is not None:
            lifetime = min(lifetime, (expires_at - self._wall()).total_seconds())
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            if lifetime > 0:
                self._entries[key] = (principal, self._monotonic() + lifetime)

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


def request_token(request: Request) -> str:
    """The token of this request: the ``Authorization`` header's, else the browser's
    session cookie (then a write must carry the CSRF header: :mod:`shipyard.ui.cookies`)."""
    from shipyard.ui.cookies import check_csrf, session_token

    if "authorization" in request.headers:
        return bearer_token(request)
    cookie = session_token(request)
    if cookie is None:
        return bearer_token(request)  # raises, naming the header
    check_csrf(request)
    return cookie


def authenticate(request: Request, token: str) -> Principal:
    """The principal a token stands for: the local owner for the key of ``shipyard ui``,
    else the user or token the metadata store knows (cached a few seconds)."""
    from shipyard.auth.service import AuthService

    base: Context = request.app.state.ctx
    ui_key: str | None = getattr(request.app.state, "ui_key", None)
    if ui_key is not None and hmac.compare_digest(token.encode(), ui_key.encode()):
        return base.principal
    cache: PrincipalCache = request.app.state.principals
    key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    principal = cache.get(key)
    if principal is None:
        principal = AuthService(base.db).authenticate(token)
        cache.put(key, principal)
    return principal


def request_context(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(_DECLARED)] = None,
) -> Context:
    """The context of this request: the server's stores, acting for the token's principal."""
    base: Context = request.app.state.ctx
    token = request_token(request)
    principal = authenticate(request, token)
    client = request.client.host if request.client else "unknown"
    token_id = token.split("_")[1] if token.count("_") >= 2 else "?"
    ctx = base.as_principal(dataclasses.replace(principal, source=f"{client} token:{token_id}"))
    request.state.ctx = ctx
    return ctx
