"""The browser's credentials: a session cookie, and a CSRF token for every write.

A browser holds its token in an HttpOnly, SameSite=Strict cookie (Secure under
TLS), which page scripts cannot read. Writes authenticated by that cookie
must also carry the ``X-CSRF-Token`` header equal to the readable
``shipyard_csrf`` cookie (double submit): a page of another site can make the
browser send the cookies but can neither read nor set the header.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from shipyard.core.errors import PermissionDenied

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "check_csrf",
    "session_token",
    "set_session_cookies",
]

SESSION_COOKIE = "shipyard_session"
CSRF_COOKIE = "shipyard_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_token(request: Request) -> str | None:
    """The token of the browser's session cookie, if it sent one."""
    value = request.cookies.get(SESSION_COOKIE, "").strip()
    return value or None


def check_csrf(request: Request) -> None:
    """Refuse a write whose CSRF header does not match its CSRF cookie."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not header or not hmac.compare_digest(cookie, header):
        raise PermissionDenied(
            "this write needs the page's CSRF token",
            hint="reload the page; a write from another site is refused",
        )


def set_session_cookies(
    response: Response, request: Request, token: str, max_age: int | None
) -> None:
    """Give the browser its session cookie and a fresh CSRF token."""
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", secure=secure,
                        httponly=True, samesite="strict")  # fmt: skip
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), max_age=max_age, path="/",
                        secure=secure, httponly=False, samesite="strict")  # fmt: skip
