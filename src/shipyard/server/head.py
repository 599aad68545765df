"""``HEAD`` on every path that takes ``GET`` (RFC 9110 §9.3.2): the GET's headers, no body.

The routes declare ``GET`` only; this layer, just outside the router, runs a
``HEAD`` as the ``GET`` and sends the status and headers (``Content-Length``
included) without the body. The original method stays in the scope under
:data:`HEAD_KEY`, so a 405 names ``HEAD`` rather than the ``GET`` it became.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HEAD_KEY", "HeadAsGet"]

HEAD_KEY = "shipyard.head"


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def headers_only(message: Message) -> None:
            nonlocal finished
            if message["type"] != "http.response.body":
                await send(message)
            elif not finished:
                finished = True  # the first body part ends the answer; the rest is dropped
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET", HEAD_KEY: True}, receive, headers_only)
