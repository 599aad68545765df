"""The per-process token cache never outlives a token's expiry (clocks injected: no sleeps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.auth.tables import TokenRow
from shipyard.core.principal import LOCAL_OWNER, Principal, TokenBounds
from shipyard.server.security import CACHE_SECONDS, PrincipalCache
from shipyard.store.db import Database

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _principal(expires_at: datetime | None) -> Principal:
    return Principal("ann", kind="token", token=TokenBounds("t1", expires_at=expires_at))


def test_an_entry_ends_when_its_token_expires() -> None:
    clock = Clock()
    cache = PrincipalCache(ttl=5.0, monotonic=clock, wall=lambda: NOW)
    cache.put("soon", _principal(NOW + timedelta(seconds=2)))
    cache.put("later", _principal(NOW + timedelta(hours=1)))
    cache.put("never", _principal(None))
    cache.put("gone", _principal(NOW - timedelta(seconds=1)))
    clock.now += 1.9
    assert cache.get("soon") is not None
    assert cache.get("gone") is None  # expired before it was stored: never cached
    clock.now += 0.1  # 2 s: the token's expiry, sooner than the cache's 5 s
    assert cache.get("soon") is None
    assert cache.get("later") is not None
    assert cache.get("never") is not None
    clock.now += 3.0  # 5 s: the cache's own limit
    assert cache.get("later") is None
    assert cache.get("never") is None


def test_an_expired_token_is_refused_at_once_though_cached(
    database: Database, server_app: FastAPI
) -> None:
    auth = AuthService(database)
    auth.add_user(LOCAL_OWNER, "ann")
    created = auth.create_token(LOCAL_OWNER, name="ci", user="ann", expires_in=timedelta(hours=1))
    expires_at = created.info.expires_at
    assert expires_at is not None
    # The cache is told it is one second before the token's expiry (however long the
    # machine took to get here, the server's own check still sees an hour left).
    clock = Clock()
    server_app.state.principals = PrincipalCache(
        ttl=5.0, monotonic=clock, wall=lambda: expires_at - timedelta(seconds=1)
    )
    headers = {"Authorization": f"Bearer {created.secret}"}
    with TestClient(server_app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/me", headers=headers).status_code == 200  # now cached
        # A second and a half later the token has expired (the clock moves, and the
        # stored expiry with it, rather than the test sleeping)...
        clock.now += 1.5
        with database.write() as session:
            row = session.get(TokenRow, created.info.id)
            assert row is not None
            row.expires_at = row.created_at - timedelta(seconds=1)
        # ...though the cache's own 5 s (longer than the default) have not passed:
        # it must not answer for it.
        answer = client.get("/api/v1/me", headers=headers)
    assert answer.status_code == 401
    assert "expired" in answer.json()["error"]["message"]


def test_a_process_forgets_a_token_within_a_second_by_default() -> None:
    """What bounds a revocation on the other replicas: their entry lasts at most 1 s."""
    clock = Clock()
    cache = PrincipalCache(monotonic=clock, wall=lambda: NOW)
    assert CACHE_SECONDS <= 1.0
    cache.put("token", _principal(None))
    clock.now += CACHE_SECONDS - 0.01
    assert cache.get("token") is not None
    clock.now += 0.01
    assert cache.get("token") is None  # the next request asks the database again
