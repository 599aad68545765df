"""The browser's single sign-on: the authorization code flow with PKCE.

``GET /ui/sso/start`` remembers a new sign-in (state, nonce, PKCE verifier; see
:mod:`shipyard.auth.sso`), binds its state to this browser with an HttpOnly
cookie, and sends the browser to the provider. ``GET /ui/sso/callback`` takes the
sign-in back once (a replayed state is refused), checks that the same browser
started it, exchanges the code with the verifier, validates the ID token and its
nonce, and sets the same session cookie as a password login.
"""

from __future__ import annotations

import logging
import secrets
from typing import TypeGuard

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from shipyard.core.durations import parse_duration
from shipyard.core.errors import PermissionDenied, Unauthenticated
from shipyard.ui.assets import secured
from shipyard.ui.cookies import set_session_cookies

__all__ = ["STATE_COOKIE", "RedactCallback", "router"]

router = APIRouter(include_in_schema=False)
STATE_COOKIE = "shipyard_sso_state"
_PATH = "/ui/sso"
_CALLBACK = "/ui/sso/callback"


# Paths whose query strings are secrets: the callback's code and state, and the
# one-time key `shipyard ui` prints (/ui/enter?key=…).
_SECRET_QUERIES = (f"{_CALLBACK}?", "/ui/enter?")


class RedactCallback(logging.Filter):
    """Keep secret query strings out of uvicorn's access log (its request line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(_secret(a) for a in args):
            record.args = tuple(_redacted(a) if _secret(a) else a for a in args)
        return True


def _secret(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(_SECRET_QUERIES)


def _redacted(value: str) -> str:
    return value.split("?", 1)[0] + "?…"


# Every server process that can answer the callback imports this module.
logging.getLogger("uvicorn.access").addFilter(RedactCallback())


@router.get("/ui/sso/start")
def start(request: Request) -> Response:
    from shipyard.auth.sso import PENDING_TTL, begin, new_secret
    from shipyard.auth.sso_routes import oidc_client, server_context

    client = oidc_client(request)  # 404 when single sign-on is not configured
    state, nonce, verifier = new_secret(), new_secret(), new_secret()
    url = client.authorization_url(state=state, nonce=nonce, verifier=verifier,
                                   redirect=_redirect(request))  # fmt: skip
    begin(server_context(request).db, state, "browser", nonce=nonce, verifier=verifier)
    response = RedirectResponse(url, status_code=303)
    # Lax, not Strict: the provider's redirect back is a cross-site navigation.
    response.set_cookie(STATE_COOKIE, state, max_age=int(PENDING_TTL.total_seconds()),
                        path=_PATH, secure=request.url.scheme == "https", httponly=True,
                        samesite="lax")  # fmt: skip
    return secured(response)


@router.get("/ui/sso/callback")
def callback(
    request: Request, state: str = "", code: str = "", error: str = "", iss: str = ""
) -> Response:
    from shipyard.auth.sso import sign_in, take
    from shipyard.auth.sso_routes import oidc_client, server_context

    client = oidc_client(request)
    if error:
        word = error[:60] if error.isascii() and error.isprintable() else "error"
        raise Unauthenticated(f"the OpenID provider refused the sign-in ({word})",
                              hint="start the sign-in again")  # fmt: skip
    if iss and iss != client.config.issuer:  # RFC 9207: an answer from another provider
        raise Unauthenticated("this sign-in answer comes from another OpenID provider")
    if not state or not code or len(state) > 200 or len(code) > 2000:
        raise Unauthenticated("this sign-in answer lacks its state or code",
                              hint="start the sign-in again")  # fmt: skip
    held = request.cookies.get(STATE_COOKIE, "")
    if not held or not secrets.compare_digest(held.encode(), state.encode()):
        raise PermissionDenied(
            "this sign-in was not started in this browser",
            hint="start the sign-in again from the login page",
        )
    ctx = server_context(request)
    pending = take(ctx.db, state, "browser")  # once: a replay finds nothing
    if not pending.verifier or not pending.nonce:
        raise Unauthenticated("this sign-in has no PKCE verifier", hint="start it again")
    tokens = client.exchange_code(code=code, verifier=pending.verifier,
                                  redirect=_redirect(request))  # fmt: skip
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise Unauthenticated("the OpenID provider sent no ID token")
    claims = client.validate_id_token(id_token, nonce=pending.nonce)
    ttl = parse_duration(ctx.settings.server.login_ttl)
    source = request.client.host if request.client else "unknown"
    created = sign_in(ctx.db, client.config, claims, source=source, expires_in=ttl)
    request.app.state.principals.clear()  # memberships may have changed
    response = RedirectResponse("/", status_code=303)
    set_session_cookies(response, request, created.secret, int(ttl.total_seconds()))
    response.delete_cookie(STATE_COOKIE, path=_PATH)
    return secured(response)


def _redirect(request: Request) -> str:
    """The redirect URI to register at the provider: this server's ``/ui/sso/callback``."""
    return str(request.base_url).rstrip("/") + _CALLBACK
