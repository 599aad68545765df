"""Idempotent writes: a retried request with the same ``Idempotency-Key`` runs once.

The first request with a key stores a pending row, runs, and stores its
answer; a retry gets the stored answer replayed (``Idempotent-Replayed: true``)
instead of writing twice. A retry while the first is still running gets 409
with ``Retry-After`` (the client retries it with the same key).
Keys are scoped by the caller's credentials, method and path; answers of 5xx
are not kept (the retry runs again); rows expire after a day.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import timedelta

import anyio
from sqlalchemy import delete
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shipyard.context import Context
from shipyard.core.errors import Conflict, ShipyardError
from shipyard.server.errors import status_for
from shipyard.server.tables import IdempotencyRow
from shipyard.store.base import utcnow

__all__ = ["Idempotency"]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEEP_FOR = timedelta(days=1)
PENDING_FOR = timedelta(minutes=5)
MAX_KEPT_BODY = 1024 * 1024


class Idempotency:
    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        given = headers.get(b"idempotency-key")
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS or not given:
            await self.app(scope, receive, send)
            return
        if len(given) > 200:
            await _answer(send, 400, _error("InvalidInput", "Idempotency-Key is over 200 bytes"))
            return
        key = _scoped_key(headers.get(b"authorization", b""), given, scope)
        try:
            stored = await anyio.to_thread.run_sync(self._claim, key)
        except ShipyardError as exc:
            # Retry-After tells the client this is worth retrying with the same key.
            answer = [(b"content-type", b"application/json"), (b"retry-after", b"1")]
            await _answer(send, status_for(exc), _error(type(exc).__name__, exc.message), answer)
            return
        if stored is not None:
            await _replay(send, stored)
            return
        status, content_type, size = 500, "application/json", 0
        chunks: list[bytes] = []
        settled = False

        async def settle() -> None:
            nonlocal settled
            settled = True
            keep = status < 500 and size <= MAX_KEPT_BODY
            body = b"".join(chunks) if keep else None
            await anyio.to_thread.run_sync(self._settle, key, status if keep else None,
                                           content_type, body)  # fmt: skip

        async def keeping_send(message: Message) -> None:
            nonlocal status, content_type, size
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if size <= MAX_KEPT_BODY:
                    chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await settle()  # before the client sees the answer and can retry
            await send(message)

        try:
            await self.app(scope, receive, keeping_send)
        finally:
            if not settled:
                status = 500
                await settle()

    def _claim(self, key: str) -> IdempotencyRow | None:
        """Stored answer for ``key``, or None after claiming it; Conflict while pending."""
        with self.ctx.db.write() as session:
            if random.random() < 0.01:  # noqa: S311  (housekeeping, not security)
                session.execute(
                    delete(IdempotencyRow).where(IdempotencyRow.created_at < utcnow() - KEEP_FOR)
                )
            row = session.get(IdempotencyRow, key, with_for_update=True)
            if row is None:
                session.add(IdempotencyRow(key=key, created_at=utcnow()))
                return None
            if row.status is not None:
                session.expunge(row)
                return row
            if utcnow() - row.created_at > PENDING_FOR:  # the first attempt died
                row.created_at = utcnow()
                return None
            raise Conflict("a request with this Idempotency-Key is still being answered")

    def _settle(self, key: str, status: int | None, content_type: str, body: bytes | None) -> None:
        with self.ctx.db.write() as session:
            row = session.get(IdempotencyRow, key)
            if row is None:
                return
            if status is None:
                session.delete(row)
                return
            row.status, row.content_type, row.body = status, content_type, body


def _scoped_key(authorization: bytes, given: bytes, scope: Scope) -> str:
    parts = [authorization, given, scope["method"].encode(), scope["path"].encode()]
    return hashlib.sha256(b"\n".join(parts)).hexdigest()


def _error(kind: str, message: str) -> bytes:
    return json.dumps({"error": {"type": kind, "message": message}}).encode()


async def _replay(send: Send, row: IdempotencyRow) -> None:
    headers = [
        (b"content-type", (row.content_type or "application/json").encode("latin-1")),
        (b"idempotent-replayed", b"true"),
    ]
    await _answer(send, row.status or 200, row.body or b"", headers)


async def _answer(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = headers or [(b"content-type", b"application/json")]
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
