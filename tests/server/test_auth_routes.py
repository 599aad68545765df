from __future__ import annotations

from fastapi.testclient import TestClient

from tests.serverkit import PASSWORD, Team


def test_login_gives_a_token_that_works(client: TestClient, team: Team) -> None:
    answer = client.post("/api/v1/auth/login", json={"name": "viewer", "password": PASSWORD})
    assert answer.status_code == 200
    token = answer.json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["name"] == "viewer"
    assert me["roles"] == {"churn": "viewer"}


def test_failed_logins_are_throttled_with_retry_after(client: TestClient, team: Team) -> None:
    for _ in range(5):
        bad = client.post("/api/v1/auth/login", json={"name": "viewer", "password": "wrong-one"})
        assert bad.status_code == 401
    locked = client.post("/api/v1/auth/login", json={"name": "viewer", "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) >= 1


def test_a_revoked_token_stops_at_once(client: TestClient, team: Team) -> None:
    created = client.post("/api/v1/tokens", json={"name": "ci"}, headers=team.headers("viewer"))
    assert created.status_code == 201
    token, token_id = created.json()["token"], created.json()["info"]["id"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=auth).status_code == 204
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_denials_are_audited_with_where_they_came_from(client: TestClient, team: Team) -> None:
    denied = client.get("/api/v1/users", headers=team.headers("viewer"))
    assert denied.status_code == 403
    entries = client.get(
        "/api/v1/audit", params={"action": "auth.denied"}, headers=team.headers("root")
    ).json()
    assert entries[0]["principal"] == "viewer"
    assert entries[0]["target"] == "GET /api/v1/users"
    assert "token:" in entries[0]["source"]


def test_audit_verify_over_http(client: TestClient, team: Team) -> None:
    answer = client.get("/api/v1/audit/verify", headers=team.headers("root")).json()
    assert answer["intact"] is True
    assert answer["entries"] > 5


def test_health_is_public_and_metrics_are_not(client: TestClient, team: Team) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/metrics").status_code == 401
    metrics = client.get("/metrics", headers=team.headers("viewer"))
    assert metrics.status_code == 200
    assert "shipyard_http_requests_total" in metrics.text
    assert 'route="/health"' in metrics.text


def test_every_failed_login_looks_the_same(client: TestClient, team: Team) -> None:
    """A name no user can have (NUL: PostgreSQL cannot even look it up) fails as any other."""
    unknown = client.post("/api/v1/auth/login", json={"name": "nobody", "password": "x"})
    nul = client.post("/api/v1/auth/login", json={"name": "vie\x00wer", "password": "x"})
    assert unknown.status_code == nul.status_code == 401
    assert nul.json() == unknown.json()
    assert nul.headers["www-authenticate"] == "Bearer"
