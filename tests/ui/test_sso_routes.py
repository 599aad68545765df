"""The browser's single sign-on through a real OpenID provider, over HTTP.

The test is the browser: it follows the server's redirect to the provider, signs in
there (tests/auth/oidckit.py), and brings the provider's redirect back to the
server's callback, as a browser would, cookies included.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.context import Context
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.auth.oidckit import (
    CLIENT_SECRET,
    SECRET_ENV,
    Provider,
)
from tests.serverkit import free_port, server_context

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
PASSWORD = "a long enough password"


def _server(
    database: Database, tmp_path: Path, provider: Provider | None, **changes: str
) -> Context:
    ctx = server_context(database, objects=tmp_path / "objects")
    oidc = provider.config(**changes) if provider is not None else None
    return Context(dataclasses.replace(ctx.settings, oidc=oidc))


@pytest.fixture
def server(
    database: Database, tmp_path: Path, oidc_provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    ctx = _server(database, tmp_path, oidc_provider)
    AuthService(ctx.db).add_user(LOCAL_OWNER, "ann", password=PASSWORD, role=Role.VIEWER,
                                 project="churn")  # fmt: skip
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        yield client
    ctx.close()


def _to_provider(server: TestClient, provider: Provider, login: str) -> str:
    """Start at the server, sign in at the provider; the callback URL it sends back."""
    start = server.get("/ui/sso/start", follow_redirects=False)
    assert start.status_code == 303, start.text
    assert start.headers["location"].startswith(provider.issuer)
    with httpx.Client() as browser:
        back = provider.sign_in(browser, start.headers["location"], login)
    assert back.is_redirect, back.text[:300]
    location = back.headers["location"]
    assert location.startswith("http://testserver/ui/sso/callback?")
    return location


def test_the_login_page_offers_sso_only_when_the_server_has_a_provider(
    server: TestClient, database: Database, tmp_path: Path
) -> None:
    assert server.get("/ui/session").json()["sso"] is True
    ctx = _server(database, tmp_path, None)
    with TestClient(create_app(ctx), raise_server_exceptions=False) as plain:
        assert plain.get("/ui/session").json()["sso"] is False
        answer = plain.get("/ui/sso/start", follow_redirects=False)
        assert answer.status_code == 404
        assert (
            answer.json()["error"]["message"] == "single sign-on is not configured on this server"
        )
    ctx.close()


def test_a_sign_in_sets_the_session_cookie_with_the_roles_of_the_groups(
    server: TestClient, oidc_provider: Provider
) -> None:
    start = server.get("/ui/sso/start", follow_redirects=False)
    query = parse_qs(urlparse(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"]
    assert query["state"]
    assert "lax" in start.headers["set-cookie"].lower()
    with httpx.Client() as browser:
        back = oidc_provider.sign_in(browser, start.headers["location"], "carol")
    answer = server.get(back.headers["location"], follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    me = server.get("/ui/session").json()
    assert (me["user"], me["roles"]) == ("carol", {"churn": "maintainer", "fraud": "viewer"})
    assert server.get("/api/v1/projects/churn/runs").status_code == 200
    # local users keep logging in with their passwords beside it
    server.cookies.clear()
    assert server.post("/ui/session", json={"user": "ann", "password": PASSWORD}).status_code == 204


def test_a_replayed_callback_is_refused(server: TestClient, oidc_provider: Provider) -> None:
    callback = _to_provider(server, oidc_provider, "alice")
    state_cookie = server.cookies.get("shipyard_sso_state")
    assert server.get(callback, follow_redirects=False).status_code == 303
    server.cookies.set("shipyard_sso_state", state_cookie or "", path="/ui/sso")
    again = server.get(callback, follow_redirects=False)
    assert again.status_code == 401
    assert again.json()["error"]["message"] == "this sign-in was finished already or has expired"


def test_a_callback_in_another_browser_is_refused(
    server: TestClient, oidc_provider: Provider
) -> None:
    callback = _to_provider(server, oidc_provider, "alice")
    server.cookies.clear()  # a login CSRF: the victim's browser never started this sign-in
    answer = server.get(callback, follow_redirects=False)
    assert answer.status_code == 403
    assert "not started in this browser" in answer.json()["error"]["message"]
    assert "shipyard_session" not in answer.cookies


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("error=access_denied&state=x", "refused the sign-in (access_denied)"),
        ("code=abc", "lacks its state or code"),
        ("code=abc&state=x&iss=https%3A%2F%2Fevil.example.com", "another OpenID provider"),
    ],
)
def test_a_bad_callback_is_refused_with_one_line(
    server: TestClient, query: str, message: str
) -> None:
    answer = server.get(f"/ui/sso/callback?{query}", follow_redirects=False)
    assert answer.status_code == 401
    assert message in answer.json()["error"]["message"]


def test_groups_without_a_role_are_refused_and_no_session_is_set(
    server: TestClient, oidc_provider: Provider
) -> None:
    callback = _to_provider(server, oidc_provider, "dave")
    answer = server.get(callback, follow_redirects=False)
    assert answer.status_code == 403
    assert "give no role in any Shipyard project" in answer.json()["error"]["message"]
    assert "shipyard_session" not in answer.cookies
    assert server.get("/ui/session").json()["user"] is None


def test_a_provider_that_is_down_is_a_503_with_a_message(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    oidc_provider: Provider,
) -> None:  # fmt: skip
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    ctx = _server(database, tmp_path, oidc_provider, issuer=f"http://127.0.0.1:{free_port()}")
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        answer = client.get("/ui/sso/start", follow_redirects=False)
        assert answer.status_code == 503
        assert "is unreachable or failing" in answer.json()["error"]["message"]
        assert CLIENT_SECRET not in answer.text
    ctx.close()


def test_the_access_log_never_holds_the_callbacks_code_or_state_nor_a_ui_key(
    server: TestClient,
) -> None:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    access = logging.getLogger("uvicorn.access")  # what uvicorn logs each request with
    handler = Keep()
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        for path in ("/ui/sso/callback?code=SECRETCODE&state=SECRETSTATE", "/ui/session",
                     "/ui/enter?key=SECRETKEY"):  # fmt: skip
            access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 303)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    assert lines == ['127.0.0.1:5000 - "GET /ui/sso/callback?… HTTP/1.1" 303',
                     '127.0.0.1:5000 - "GET /ui/session HTTP/1.1" 303',
                     '127.0.0.1:5000 - "GET /ui/enter?… HTTP/1.1" 303']  # fmt: skip
