"""The device sign-in over HTTP: start, poll while pending, the token once, then nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from shipyard.context import Context
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.auth.oidckit import CLIENT_SECRET, SECRET_ENV, Provider
from tests.serverkit import server_context

pytestmark = pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)
DEVICE = "/api/v1/auth/sso/device"


@pytest.fixture
def server(
    database: Database, tmp_path: Path, oidc_provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    ctx = server_context(database, objects=tmp_path / "objects")
    ctx = Context(dataclasses.replace(ctx.settings, oidc=oidc_provider.config()))
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        yield client
    ctx.close()


def test_a_device_sign_in_hands_out_its_token_once(
    server: TestClient, oidc_provider: Provider
) -> None:
    started = server.post(DEVICE)
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["verification_uri"] == f"{oidc_provider.issuer}/device"
    poll = {"handle": body["handle"]}
    pending = server.post(f"{DEVICE}/token", json=poll)
    assert pending.status_code == 202
    assert pending.json()["status"] == "authorization_pending"
    with httpx.Client() as browser:
        oidc_provider.confirm_device(browser, body["verification_uri_complete"], "alice")
    answer = server.post(f"{DEVICE}/token", json=poll)  # (this provider never says slow_down)
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    me = server.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["roles"] == {"churn": "contributor"}
    again = server.post(f"{DEVICE}/token", json=poll)  # a replayed handle
    assert again.status_code == 401
    assert token not in again.text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"handle": "never-issued"}, 401),
        ({"handle": ""}, 422),
        ({"handle": "x" * 201}, 422),
        ({"handle": "x", "extra": 1}, 422),
        ({}, 422),
    ],
)
def test_a_bad_handle_is_refused_in_one_line(
    server: TestClient, body: dict[str, object], status: int
) -> None:
    answer = server.post(f"{DEVICE}/token", json=body)
    assert answer.status_code == status
    assert "\n" not in answer.json()["error"]["message"]
