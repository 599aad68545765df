"""Refuse request bodies over the size limit with 413, before reading them whole.

A Content-Length over the limit is answered at once; a streamed body that
grows past it raises a 413 HTTPException from ``receive``, which the app's
error handlers answer with the usual JSON shape.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "too_large_message"]


def too_large_message(max_bytes: int) -> str:
    return f"the request body is larger than the limit of {max_bytes:,} bytes"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", []):
                if name != b"content-length":
                    continue
                if not value.isdigit():
                    await _refuse(send, 400, "InvalidInput", "Content-Length is not a number")
                    return
                if int(value) > self.max_bytes:
                    await _refuse(send, 413, "TooLarge", too_large_message(self.max_bytes))
                    return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, too_large_message(self.max_bytes))
            return message

        await self.app(scope, counting_receive if scope["type"] == "http" else receive, send)


async def _refuse(send: Send, status: int, kind: str, message: str) -> None:
    body = json.dumps({"error": {"type": kind, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
