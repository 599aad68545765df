"""Every error has a status, a JSON body naming the problem, and never a stack trace."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shipyard.core import errors as e
from shipyard.server.errors import status_for
from tests.serverkit import Team


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (e.InvalidInput("x"), 400),
        (e.ConfigError("x"), 400),
        (e.NotFound("x"), 404),
        (e.WorkspaceNotFound("x"), 404),
        (e.Conflict("x"), 409),
        (e.AlreadyExists("x"), 409),
        (e.Unauthenticated("x"), 401),
        (e.PermissionDenied("x"), 403),
        (e.RateLimited("x", retry_after=3), 429),
        (e.Unavailable("x"), 503),
        (e.SchemaOutOfDate("x"), 503),
        (e.IntegrityError("x"), 500),
    ],
)
def test_every_error_class_has_a_status(error: e.ShipyardError, status: int) -> None:
    assert status_for(error) == status


def test_unauthenticated_requests_are_401_with_a_hint(client: TestClient) -> None:
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    body = answer.json()["error"]
    assert body["type"] == "Unauthenticated"
    assert "Authorization: Bearer" in body["hint"]


def test_malformed_json_is_400(client: TestClient, team: Team) -> None:
    answer = client.post(
        "/api/v1/users", content=b"{not json", headers={
            **team.headers("root"), "content-type": "application/json"
        },
    )  # fmt: skip
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["error"]["message"]


def test_wrong_types_are_422_naming_the_field(client: TestClient, team: Team) -> None:
    answer = client.post("/api/v1/users", json={"name": 5}, headers=team.headers("root"))
    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith("name:")


def test_oversize_bodies_are_413(database: object) -> None:
    from tests.serverkit import server_context

    ctx = server_context(database, **{"server.max_body_mb": 1})  # type: ignore[arg-type]
    from shipyard.server.app import create_app

    with TestClient(create_app(ctx)) as client:
        big = b"x" * (1024 * 1024 + 1)
        answer = client.post("/api/v1/auth/login", content=big)
        assert answer.status_code == 413
        assert answer.json()["error"]["type"] == "TooLarge"

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(3):
                yield b"x" * (512 * 1024)

        streamed = client.post("/api/v1/auth/login", content=chunks())
        assert streamed.status_code == 413
    ctx.close()


def test_unknown_routes_are_404_json(client: TestClient) -> None:
    answer = client.get("/api/v1/no/such/thing")
    assert answer.status_code in (401, 404)  # auth comes before routing under /api
    assert client.get("/nothing-here").json()["error"]["type"] == "NotFound"


def test_an_unexpected_failure_is_500_without_details(server_app: FastAPI) -> None:
    @server_app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(server_app, raise_server_exceptions=False) as client:
        answer = client.get("/boom", headers={"X-Request-Id": "req-42"})
    assert answer.status_code == 500
    assert "secret internals" not in answer.text
    assert "(request req-42)" in answer.json()["error"]["message"]


def test_a_saturated_connection_pool_is_503_to_retry_not_500(database: object) -> None:
    from sqlalchemy.pool import QueuePool

    from shipyard.server.app import create_app
    from tests.serverkit import server_context

    ctx = server_context(database)  # type: ignore[arg-type]
    engine = ctx.db.engine
    old = engine.pool
    engine.pool = QueuePool(old._creator, pool_size=1, max_overflow=0, timeout=0.05,  # type: ignore[attr-defined]
                            _dispatch=old.dispatch, dialect=old._dialect)  # type: ignore[attr-defined]  # fmt: skip
    old.dispose()
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        with engine.connect():  # the pool's only connection is taken for the request's whole wait
            answers = [
                client.post("/api/v1/auth/login", json={"name": "a", "password": "b"}),
                # a keyed write waits in the idempotency layer, before any route
                client.post("/api/v1/auth/login", json={"name": "a", "password": "b"},
                            headers={"Idempotency-Key": "k1"}),
            ]  # fmt: skip
        for answer in answers:
            assert answer.status_code == 503
            assert answer.headers["retry-after"] == "1"
            assert "no free connection" in answer.json()["error"]["message"]
    ctx.close()
