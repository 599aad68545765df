"""Token minting over HTTP against a real server: a sample of the delegation matrix
(``tests/auth/test_delegation.py`` runs all of it on the service), with refusals
audited as denials, and the CLI's remote client raising the same error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from shipyard.auth.remote import RemoteAuth
from shipyard.auth.service import AuthService
from shipyard.client.http import ApiClient
from shipyard.core.durations import format_duration
from shipyard.core.errors import PermissionDenied
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.store import audit
from shipyard.store.db import Database
from tests.auth.delegation import (
    CREATOR_LIFETIME,
    LONGER,
    P1,
    P2,
    SHORTER,
    Ask,
    Creator,
    add_people,
    creator_token,
    may_mint,
    problems,
)

SAMPLE = [
    (Creator("ann", Role.VIEWER, P1, None), Ask(None, None, None, None)),
    (Creator("ann", Role.MAINTAINER, None, None), Ask(None, Role.VIEWER, P1, SHORTER)),
    (Creator("ann", None, None, CREATOR_LIFETIME), Ask(None, None, None, None)),
    (Creator("ann", None, None, CREATOR_LIFETIME), Ask(None, Role.VIEWER, P1, LONGER)),
    (Creator("ann", None, None, None), Ask("bob", Role.VIEWER, P1, None)),
    (Creator("root", Role.MAINTAINER, None, None), Ask("bob", None, None, None)),
    (Creator("root", None, P2, None), Ask(None, Role.ADMIN, P2, None)),
    (Creator("root", None, None, CREATOR_LIFETIME), Ask("bob", Role.VIEWER, None, SHORTER)),
    (Creator("root", None, None, None), Ask(None, Role.ADMIN, P2, LONGER)),
]


@pytest.fixture
def server_url(database: Database, server_app: FastAPI, live_server: Callable[..., int]) -> str:
    add_people(AuthService(database))
    return f"http://127.0.0.1:{live_server(server_app)}"


@pytest.mark.parametrize(("creator", "ask"), SAMPLE, ids=[f"{c}-{a}" for c, a in SAMPLE])
def test_minting_over_http_never_exceeds_the_creator(
    database: Database, server_url: str, creator: Creator, ask: Ask
) -> None:
    auth = AuthService(database)
    made = creator_token(auth, creator)
    secret, principal = made.secret, made.principal
    body = {
        "name": "child", "user": ask.owner, "role": ask.role.label if ask.role else None,
        "project": ask.project, "expires": format_duration(ask.lifetime) if ask.lifetime else None,
    }  # fmt: skip
    answer = httpx.post(
        f"{server_url}/api/v1/tokens", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    if not may_mint(creator, ask):
        assert answer.status_code == 403, answer.text
        message = answer.json()["error"]["message"]
        assert "\n" not in message
        with database.read() as session:
            denied = audit.list_events(session, action="auth.denied", limit=1)[0]
        assert (denied.principal, denied.target) == (creator.user, "POST /api/v1/tokens")
        assert denied.detail["reason"] == message
        return
    assert answer.status_code == 201, answer.text
    created = answer.json()
    minted = auth.authenticate(created["token"])
    expires = created["info"]["expires_at"]
    tokens = auth.list_tokens(LOCAL_OWNER, created["info"]["user"])
    info = next(t for t in tokens if t.id == created["info"]["id"])
    assert info.expires_at == (datetime.fromisoformat(expires) if expires else None)
    assert problems(principal, made.expires_at, minted, info) == []


def test_the_remote_client_raises_the_same_refusal(database: Database, server_url: str) -> None:
    made = creator_token(AuthService(database), Creator("ann", None, None, timedelta(hours=1)))
    with ApiClient(server_url, made.secret) as client:
        remote = RemoteAuth(client)
        with pytest.raises(PermissionDenied, match="may not create a token that outlives its own"):
            remote.create_token(LOCAL_OWNER, name="ci", expires_in=timedelta(days=30))
        made = remote.create_token(LOCAL_OWNER, name="ci")
    assert made.info.expires_at is not None
