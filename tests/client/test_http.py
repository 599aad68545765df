"""The remote client against a real server on 127.0.0.1: errors, retries, idempotency."""

from __future__ import annotations

import itertools

import pytest
from fastapi import FastAPI

from shipyard.client.http import ApiClient
from shipyard.core import errors as e
from tests.serverkit import Team, free_port

sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def base_url(server_app: FastAPI, live_server) -> str:  # type: ignore[no-untyped-def]
    calls = itertools.count()

    @server_app.get("/flaky")
    def flaky() -> dict[str, int]:
        from fastapi import HTTPException

        if next(calls) < 2:
            raise HTTPException(503, "warming up")
        return {"ok": 1}

    return f"http://127.0.0.1:{live_server(server_app)}"


@sqlite_only
def test_the_server_errors_come_back_as_the_same_exceptions(base_url: str, team: Team) -> None:
    with ApiClient(base_url, team.tokens["viewer"]) as client:
        assert client.get("/api/v1/me")["name"] == "viewer"
        with pytest.raises(e.PermissionDenied, match="viewer may not list users"):
            client.get("/api/v1/users")
        with pytest.raises(e.NotFound):
            client.request("DELETE", "/api/v1/tokens/nope")
    with ApiClient(base_url, "shy_garbage") as client, pytest.raises(e.Unauthenticated):
        client.get("/api/v1/me")


@sqlite_only
def test_a_retried_write_happens_once(base_url: str, team: Team) -> None:
    with ApiClient(base_url, team.tokens["viewer"]) as client:
        headers = {"Idempotency-Key": "same-key"}
        first = client.request("POST", "/api/v1/tokens", json={"name": "a"}, headers=headers)
        again = client.request("POST", "/api/v1/tokens", json={"name": "a"}, headers=headers)
        assert first.json()["info"]["id"] == again.json()["info"]["id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert len(client.get("/api/v1/tokens")) == 2  # the fixture's token and this one


@sqlite_only
def test_transient_failures_are_retried(base_url: str, team: Team) -> None:
    with ApiClient(base_url, team.tokens["viewer"], backoff=0.01) as client:
        assert client.get("/flaky") == {"ok": 1}


def test_an_unreachable_server_is_unavailable_with_a_hint() -> None:
    client = ApiClient(f"http://127.0.0.1:{free_port()}", retries=1, backoff=0.01)
    with client, pytest.raises(e.Unavailable) as caught:
        client.get("/health")
    assert "cannot reach the Shipyard server" in caught.value.one_line()
