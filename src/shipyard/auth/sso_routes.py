"""Single sign-on for the command line: the device authorization grant, through the server.

``shipyard login --sso`` never talks to the provider with a client of its own: the
server starts the device sign-in with its (confidential) client, hands the CLI the
user code and a *handle* (a secret only the CLI holds), and the CLI polls
``…/device/token`` with that handle until the user has confirmed at the provider.
The answer is then the same session token as a password login's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from shipyard.auth.oidc_client import OidcClient
from shipyard.auth.routes import CreatedTokenOut, _created_out
from shipyard.auth.sso import begin, new_secret, peek, sign_in, take
from shipyard.context import Context
from shipyard.core.durations import parse_duration
from shipyard.core.errors import NotFound, Unauthenticated

__all__ = ["oidc_client", "public_router", "router", "server_context"]

router = APIRouter(tags=["auth"])  # nothing behind a token: a sign-in has none yet
public_router = APIRouter(tags=["auth"])
SLOW_DOWN_S = 5


class DeviceStartOut(BaseModel):
    handle: str = Field(description="Send it back to …/device/token; keep it secret.")
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


class DevicePollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handle: Annotated[StrictStr, Field(min_length=1, max_length=200)]


class DevicePendingOut(BaseModel):
    status: str = Field(description="authorization_pending or slow_down")
    interval: int


def server_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def oidc_client(request: Request) -> OidcClient:
    """The server's client of its OpenID provider (one per process: it caches keys)."""
    config = server_context(request).settings.oidc
    if config is None:
        raise NotFound(
            "single sign-on is not configured on this server",
            hint="log in with a user name and password, or ask an admin to set [server.oidc]",
        )
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None or client.config != config:
        client = request.app.state.oidc = OidcClient(config)
    return client


@public_router.post("/auth/sso/device", summary="Start a single sign-on from a device (the CLI)")
def start_device(request: Request) -> DeviceStartOut:
    client = oidc_client(request)
    started = client.start_device()
    handle = new_secret()
    begin(server_context(request).db, handle, "device", device_code=started.device_code,
          ttl=timedelta(seconds=min(max(started.expires_in, 60), 1800)))  # fmt: skip
    return DeviceStartOut(
        handle=handle, user_code=started.user_code,
        verification_uri=started.verification_uri,
        verification_uri_complete=started.verification_uri_complete,
        expires_in=started.expires_in, interval=started.interval,
    )  # fmt: skip


@public_router.post(
    "/auth/sso/device/token",
    summary="The session token of a device sign-in, once the user has confirmed it",
    response_model=CreatedTokenOut,
    responses={202: {"model": DevicePendingOut, "description": "Not confirmed yet: poll again"}},
)
def device_token(body: DevicePollIn, request: Request) -> Any:
    client = oidc_client(request)
    ctx = server_context(request)
    pending = peek(ctx.db, body.handle, "device")
    if not pending.device_code:
        raise Unauthenticated("this sign-in has no device code", hint="start it again")
    try:
        answer = client.poll_device(pending.device_code)
    except Unauthenticated:
        take(ctx.db, body.handle, "device")  # denied or expired: the handle is spent
        raise
    if isinstance(answer, str):
        interval = SLOW_DOWN_S * (2 if answer == "slow_down" else 1)
        body_out = DevicePendingOut(status=answer, interval=interval)
        return JSONResponse(body_out.model_dump(), status_code=202)
    take(ctx.db, body.handle, "device")  # the token is handed out once
    id_token = answer.get("id_token")
    if not isinstance(id_token, str):
        raise Unauthenticated("the OpenID provider sent no ID token", hint="is 'openid' a scope?")
    claims = client.validate_id_token(id_token, nonce=None)
    ttl = parse_duration(ctx.settings.server.login_ttl)
    source = request.client.host if request.client else "unknown"
    created = sign_in(ctx.db, client.config, claims, source=source, expires_in=ttl)
    request.app.state.principals.clear()
    return _created_out(created)
