"""``shipyard serve --auth``: Shipyard API tokens, checked with a short per-process cache.

A request must carry ``Authorization: Bearer shy_…``; the token is checked
with ``AuthService.authenticate`` against the workspace's (or server's)
metadata store, and its principal must hold the ``predict`` permission — the
viewer role — in the served project. Answers are cached for a few seconds per
process, like the team server (a revoked token stops working within that time).
Health, readiness and metrics routes stay open (they reveal no data).
"""

from __future__ import annotations

import asyncio
import hashlib

from shipyard.context import Context
from shipyard.core.errors import Unauthenticated
from shipyard.core.principal import Principal, Role
from shipyard.server.security import CACHE_SECONDS, PrincipalCache

__all__ = ["PREDICT_ROLE", "TokenAuth"]

PREDICT_ROLE = Role.VIEWER
"""The role that holds the ``predict`` permission (and may send feedback)."""


class TokenAuth:
    def __init__(self, ctx: Context, cache_seconds: float = CACHE_SECONDS) -> None:
        self.ctx = ctx
        self.cache = PrincipalCache(ttl=cache_seconds)

    async def authorize(self, header: str, action: str = "predict") -> Principal:
        """The principal behind ``header``; raises Unauthenticated or PermissionDenied."""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated(
                "this model server needs an API token",
                hint="send `Authorization: Bearer <token>` (see `shipyard tokens create`)",
            )
        key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        principal = self.cache.get(key)
        if principal is None:
            principal = await asyncio.to_thread(self._authenticate, token)
            self.cache.put(key, principal)
        principal.require(PREDICT_ROLE, self.ctx.project, action)
        return principal

    def _authenticate(self, token: str) -> Principal:
        from shipyard.auth.service import AuthService

        return AuthService(self.ctx.db).authenticate(token)
