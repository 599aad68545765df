"""Idempotent writes: a request sent again with the same ``Idempotency-Key`` is applied once.

A write that carries a key runs in one database transaction
(:meth:`~shipyard.store.db.Database.request_unit`) together with the record of
its answer, and the answer leaves the server only after that transaction has
committed. So, whatever moment a worker dies at:

* before the commit, nothing of the request was applied and no claim is left
  behind: the client's retry runs it afresh, at once (no lease to wait out);
* after the commit, the answer is stored: the retry gets it replayed
  (``Idempotent-Replayed: true``) without the write running again.

Two copies of one request in flight at once both run; the second to store
its answer finds the first's (PostgreSQL makes it wait for the first
transaction to end; SQLite runs writers one at a time), rolls its own work
back and replays the first answer. An answer of 5xx is never stored and its
transaction is rolled back (a failed request changed nothing; retrying it is
safe). A database conflict at commit time is 503 with ``Retry-After``.

Keys are scoped by the caller's credentials, method and path; answers are kept
for a day. Answers over :data:`MAX_KEPT_BODY` are not kept (no write route
answers that much).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta

import anyio
from sqlalchemy import delete
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shipyard.context import Context
from shipyard.core.errors import ShipyardError
from shipyard.server.errors import status_for
from shipyard.server.tables import IdempotencyRow
from shipyard.store.base import utcnow
from shipyard.store.db import RequestUnit
from shipyard.store.upsert import upsert

__all__ = ["Idempotency"]

log = logging.getLogger("shipyard.server")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEEP_FOR = timedelta(days=1)
MAX_KEPT_BODY = 8 * 1024 * 1024


@dataclass
class _Answer:
    """A response as the app produced it, held until its transaction commits."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def content_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == b"content-type":
                return value.decode("latin-1")
        return "application/json"


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
            stored = await anyio.to_thread.run_sync(self._stored, key)
        except ShipyardError as exc:
            await _retry_later(send, exc)
            return
        if stored is not None:
            await _replay(send, stored)
            return
        await self._run_once(key, scope, receive, send)

    async def _run_once(self, key: str, scope: Scope, receive: Receive, send: Send) -> None:
        answer = _Answer()

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                answer.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer.chunks.append(message.get("body", b""))

        with self.ctx.db.request_unit() as unit:
            await self.app(scope, receive, hold)  # an exception rolls the unit back
            if answer.status >= 500:
                await anyio.to_thread.run_sync(unit.rollback)
            else:
                try:
                    first = await anyio.to_thread.run_sync(self._commit, unit, key, answer)
                except ShipyardError as exc:
                    await _retry_later(send, exc)
                    return
                if first is not None:  # another copy of this request was stored first
                    await _replay(send, first)
                    return
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": answer.headers})  # fmt: skip
        await send({"type": "http.response.body", "body": answer.body})

    def _stored(self, key: str) -> IdempotencyRow | None:
        """The stored answer for ``key``, if a request with it has committed."""
        with self.ctx.db.read() as session:
            row = session.get(IdempotencyRow, key)
            if row is None or row.status is None:  # None: a claim an older server left
                return None
            session.expunge(row)
            return row

    def _commit(self, unit: RequestUnit, key: str, answer: _Answer) -> IdempotencyRow | None:
        """Store the answer in the request's transaction and commit; or, when a copy of
        the request got there first, roll this one back and return that copy's answer."""
        body = answer.body
        if len(body) > MAX_KEPT_BODY:
            unit.commit()
            return None
        row = {"key": key, "created_at": utcnow(), "status": answer.status,
               "content_type": answer.content_type, "body": body}  # fmt: skip
        table = IdempotencyRow.__table__
        with self.ctx.db.write() as session:  # joins the request's transaction
            # PostgreSQL makes this wait while another copy's transaction holds the key.
            stored = upsert(
                session, table, [row], ["key"],  # type: ignore[arg-type]
                ["created_at", "status", "content_type", "body"],
                where=lambda _new: table.c.status.is_(None),  # only an older server's claim
            )  # fmt: skip
        if not stored:
            unit.rollback()
            return self._stored(key)
        unit.commit()
        if random.random() < 0.01:  # noqa: S311  (housekeeping, not security)
            self._forget_old()
        return None

    def _forget_old(self) -> None:
        try:
            with self.ctx.db.write() as session:
                session.execute(
                    delete(IdempotencyRow).where(IdempotencyRow.created_at < utcnow() - KEEP_FOR)
                )
        except ShipyardError as exc:
            log.warning("could not forget old idempotency keys: %s", exc.one_line())


def _scoped_key(authorization: bytes, given: bytes, scope: Scope) -> str:
    parts = [authorization, given, scope["method"].encode(), scope["path"].encode()]
    return hashlib.sha256(b"\n".join(parts)).hexdigest()


def _error(kind: str, message: str) -> bytes:
    return json.dumps({"error": {"type": kind, "message": message}}).encode()


async def _retry_later(send: Send, exc: ShipyardError) -> None:
    # Nothing was applied; Retry-After tells the client to send it again with the same key.
    headers = [(b"content-type", b"application/json"), (b"retry-after", b"1")]
    await _answer(send, status_for(exc), _error(type(exc).__name__, exc.message), headers)


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
