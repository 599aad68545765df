"""The browser's routes: the page and its assets at ``/``, and ``/ui/session``.

Not part of the API's schema: the page reads the same ``/api/v1`` routes as
every client, authenticated by its session cookie (:mod:`shipyard.ui.cookies`).
``POST /ui/session`` exchanges a user name and password for that cookie (the
same login, throttling and audit as ``POST /api/v1/auth/login``);
``GET /ui/enter`` turns the one-time key that ``shipyard ui`` printed into it;
``/ui/sso/…`` signs in through an OpenID provider (:mod:`shipyard.ui.sso`).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from shipyard.context import Context
from shipyard.core.durations import parse_duration
from shipyard.core.errors import PermissionDenied, ShipyardError, Unauthenticated
from shipyard.core.principal import Principal
from shipyard.ui.assets import Assets, secured
from shipyard.ui.cookies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    session_token,
    set_session_cookies,
)
from shipyard.ui.sso import router as sso_router

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(sso_router)  # /ui/sso/start and /ui/sso/callback


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: StrictStr = Field(min_length=1, max_length=200)
    password: StrictStr = Field(min_length=1, max_length=1024)


@router.get("/")
def page(request: Request) -> Response:
    return _assets(request).index()


@router.get("/favicon.ico")
def favicon() -> Response:
    return secured(Response(status_code=204))  # no icon: and no 404 in the browser's console


@router.get("/assets/{name}")
def asset(name: str, request: Request) -> Response:
    return _assets(request).asset(name)


@router.get("/ui/session")
def whoami(request: Request) -> Response:
    """Who the browser is logged in as (``user`` null when nobody), and their projects."""
    from shipyard.server.security import authenticate, request_token

    login = getattr(request.app.state, "ui_key", None) is None
    try:
        principal = authenticate(request, request_token(request))
    except ShipyardError:  # no cookie, an expired one, a revoked token: log in again
        sso = login and _ctx(request).settings.oidc is not None
        body: dict[str, Any] = {"user": None, "projects": [], "project": None, "roles": {},
                                "admin": False, "login": login, "sso": sso}  # fmt: skip
        return secured(JSONResponse(body))
    return secured(JSONResponse(_identity(_ctx(request), principal, login)))


@router.post("/ui/session", status_code=204)
def log_in(body: LoginIn, request: Request) -> Response:
    from shipyard.auth.service import AuthService

    ctx = _ctx(request)
    if "\x00" in body.user:
        raise Unauthenticated("wrong user name or password")
    source = request.client.host if request.client else "unknown"
    ttl = parse_duration(ctx.settings.server.login_ttl)
    created = AuthService(ctx.db).login(body.user, body.password, source=source, expires_in=ttl)
    response = Response(status_code=204)
    set_session_cookies(response, request, created.secret, int(ttl.total_seconds()))
    return secured(response)


@router.delete("/ui/session", status_code=204)
def log_out(request: Request) -> Response:
    """Forget the session: its token is revoked (a copy of the cookie is worth nothing)."""
    from shipyard.auth.service import AuthService
    from shipyard.server.security import authenticate

    token = session_token(request)
    if token is not None:
        check_csrf(request)
        try:
            principal = authenticate(request, token)
        except ShipyardError:
            principal = None
        if principal is not None and principal.token is not None:
            AuthService(_ctx(request).db).revoke_token(principal, principal.token.id)
            request.app.state.principals.clear()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return secured(response)


@router.get("/ui/enter")
def enter(request: Request, key: str = "") -> Response:
    """``shipyard ui``'s link: its one-time key becomes the session cookie."""
    expected: str | None = getattr(request.app.state, "ui_key", None)
    if expected is None or not secrets.compare_digest(key.encode(), expected.encode()):
        raise PermissionDenied(
            "this link is not valid for this server",
            hint="open the link `shipyard ui` printed when it started",
        )
    response = RedirectResponse("/", status_code=303)
    set_session_cookies(response, request, expected, None)
    return secured(response)


def _identity(ctx: Context, principal: Principal, login: bool) -> dict[str, Any]:
    from shipyard.store.projects import list_projects

    readable = principal.readable_projects()
    if ctx.settings.workspace is not None and not login:
        projects = [ctx.project]  # shipyard ui: the workspace's project
    elif readable is None:
        with ctx.db.read() as session:
            projects = [row.name for row in list_projects(session)]
    else:
        projects = sorted(readable)
    roles = {}
    for project in projects:
        role = principal.role_in(project)
        if role is not None:
            roles[project] = role.label
    return {
        "user": principal.name,
        "projects": projects,
        "project": projects[0] if projects else None,
        "roles": roles,
        "admin": principal.admin,
        "login": login,
        "sso": login and ctx.settings.oidc is not None,
    }


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def _assets(request: Request) -> Assets:
    assets: Assets = request.app.state.ui_assets
    return assets
