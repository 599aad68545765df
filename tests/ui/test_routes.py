"""The browser's session: log in for an HttpOnly cookie, writes need the CSRF header,
log out revokes; ``shipyard ui``'s one-time key; the page and its strict headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.server.app import create_app
from shipyard.store.db import Database
from shipyard.ui.assets import CSP, Assets
from tests.serverkit import server_context

PASSWORD = "correct horse battery"
RUNS = "/api/v1/projects/churn/runs"


@pytest.fixture
def client(database: Database, tmp_path: Path) -> Iterator[TestClient]:
    ctx = server_context(database, objects=tmp_path / "objects")
    auth = AuthService(ctx.db)
    auth.add_user(LOCAL_OWNER, "ann", password=PASSWORD, role=Role.CONTRIBUTOR, project="churn")
    auth.add_user(LOCAL_OWNER, "vic", password=PASSWORD, role=Role.VIEWER, project="churn")
    with TestClient(create_app(ctx), base_url="https://shipyard.test") as test_client:
        yield test_client
    ctx.close()


def _log_in(client: TestClient, user: str = "ann") -> str:
    answer = client.post("/ui/session", json={"user": user, "password": PASSWORD})
    assert answer.status_code == 204, answer.text
    return client.cookies["shipyard_csrf"]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_login_sets_a_secure_httponly_cookie_and_the_session_reads_the_api(
    client: TestClient,
) -> None:
    assert client.get("/ui/session").json() == {
        "user": None, "projects": [], "project": None, "roles": {}, "admin": False,
        "login": True, "sso": False,
    }  # fmt: skip
    answer = client.post("/ui/session", json={"user": "ann", "password": PASSWORD})
    cookies = {c.split("=")[0]: c.lower() for c in answer.headers.get_list("set-cookie")}
    session = cookies["shipyard_session"]
    assert "httponly" in session
    assert "samesite=strict" in session
    assert "secure" in session
    assert "httponly" not in cookies["shipyard_csrf"]  # the page reads it for the header
    me = client.get("/ui/session").json()
    assert (me["user"], me["projects"], me["roles"]) == ("ann", ["churn"], {"churn": "contributor"})
    assert client.get(RUNS).status_code == 200


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_write_by_cookie_needs_the_csrf_header(client: TestClient) -> None:
    csrf = _log_in(client)
    refused = client.post(RUNS, json={"name": "r"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    wrong = client.post(RUNS, json={"name": "r"}, headers={"X-CSRF-Token": "x" + csrf})
    assert wrong.status_code == 403
    assert client.get(RUNS).json()["runs"] == []  # nothing was written
    made = client.post(RUNS, json={"name": "r"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201
    assert made.json()["created_by"] == "ann"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_roles_apply_to_the_browser_as_to_any_client(client: TestClient) -> None:
    csrf = _log_in(client, "vic")
    answer = client.post(RUNS, json={"name": "r"}, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 403  # a viewer: the service refuses, whatever the page shows
    assert client.get(RUNS).status_code == 200


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_log_out_revokes_the_session_token(client: TestClient) -> None:
    csrf = _log_in(client)
    stolen = client.cookies["shipyard_session"]
    assert client.delete("/ui/session").status_code == 403  # a write: CSRF applies
    assert client.delete("/ui/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    replayed = client.get(RUNS, headers={"Authorization": f"Bearer {stolen}"})
    assert replayed.status_code == 401


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_bad_logins_and_hostile_bodies_get_one_line(client: TestClient) -> None:
    wrong = client.post("/ui/session", json={"user": "ann", "password": "nope nope nope"})
    assert wrong.status_code == 401
    assert "shipyard_session" not in wrong.headers.get("set-cookie", "")
    for body in ({"user": "a\x00", "password": "p"}, {"user": ["x"], "password": "p"},
                 {"user": "ann"}, {"user": "x" * 5000, "password": "p"}):  # fmt: skip
        answer = client.post("/ui/session", json=body)
        assert answer.status_code in (401, 422), body
        assert set(answer.json()["error"]) >= {"type", "message"}
    client.cookies.set("shipyard_session", "shy_forged_token")
    assert client.get("/ui/session").json()["user"] is None
    assert client.get(RUNS).status_code == 401


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_one_time_key_only_on_a_server_started_by_shipyard_ui(client: TestClient) -> None:
    answer = client.get("/ui/enter", params={"key": "anything"}, follow_redirects=False)
    assert answer.status_code == 403
    client.app.state.ui_key = "k" * 43  # type: ignore[attr-defined]
    assert client.get("/ui/enter", params={"key": "x" * 43}).status_code == 403
    entered = client.get("/ui/enter", params={"key": "k" * 43}, follow_redirects=False)
    assert (entered.status_code, entered.headers["location"]) == (303, "/")
    assert client.get("/ui/session").json()["user"] == "local"


def test_the_page_and_its_assets_carry_a_strict_policy(tmp_path: Path) -> None:
    built = tmp_path / "static"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text('<script type="module" src="/assets/app-1a2b.js"></script>')
    (built / "assets" / "app-1a2b.js").write_text("console.log(1)")
    (built / "assets" / "link.js").symlink_to("/etc/passwd")
    assets = Assets(built)
    page = assets.index()
    assert page.headers["Content-Security-Policy"] == CSP
    assert "'unsafe-inline'" not in CSP
    assert "'unsafe-eval'" not in CSP
    assert page.headers["X-Frame-Options"] == "DENY"
    script = assets.asset("app-1a2b.js")
    assert script.media_type == "text/javascript"
    assert "immutable" in script.headers["Cache-Control"]
    for name in ("link.js", "../index.html", "..%2Findex.html", "nothing.js"):
        with pytest.raises(Exception, match="no asset"):
            assets.asset(name)
    assert b"not built" in Assets(tmp_path / "none").index().body
