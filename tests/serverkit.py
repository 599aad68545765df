"""Team-server fixtures: an app per backend, personas with tokens, live servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.context import Context
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.core.settings import build_settings
from shipyard.server.app import create_app
from shipyard.server.run import TLSConfig
from shipyard.store.db import Database

PROJECT = "churn"
PASSWORD = "a long enough password"


@dataclass
class Team:
    """Tokens by persona: admin, maintainer/contributor/viewer of PROJECT, outsider…"""

    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}


def server_context(database: Database, **settings: object) -> Context:
    uri = database.url.render_as_string(hide_password=False)
    flags = {"store.uri": uri, **settings}
    return Context(build_settings(env={}, flags=flags))


@pytest.fixture
def server_app(database: Database, tmp_path: Path) -> Iterator[FastAPI]:
    ctx = server_context(database, **{"objects.path": str(tmp_path / "server-objects")})
    yield create_app(ctx)
    ctx.close()


@pytest.fixture
def client(server_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(server_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def team(database: Database) -> Team:
    auth = AuthService(database)
    team = Team()
    auth.add_user(LOCAL_OWNER, "root", role=Role.ADMIN)
    for role in (Role.MAINTAINER, Role.CONTRIBUTOR, Role.VIEWER):
        # Only the viewer can log in with a password: argon2 is slow on purpose.
        password = PASSWORD if role is Role.VIEWER else None
        auth.add_user(LOCAL_OWNER, role.label, password=password, role=role, project=PROJECT)
    auth.add_user(LOCAL_OWNER, "outsider", role=Role.MAINTAINER, project="fraud")
    for name in ("root", "maintainer", "contributor", "viewer", "outsider"):
        team.tokens[name] = auth.create_token(LOCAL_OWNER, name="t", user=name).secret
    team.tokens["other-project-token"] = auth.create_token(
        LOCAL_OWNER, name="t", user="maintainer", project="fraud"
    ).secret
    revoked = auth.create_token(LOCAL_OWNER, name="t", user="maintainer")
    auth.revoke_token(LOCAL_OWNER, revoked.info.id)
    team.tokens["revoked"] = revoked.secret
    expired = auth.create_token(
        LOCAL_OWNER, name="t", user="maintainer", expires_in=timedelta(microseconds=1)
    )
    team.tokens["expired"] = expired.secret
    time.sleep(0.01)
    return team


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server() -> Iterator[object]:
    """Start an app on a real 127.0.0.1 port in a thread: ``live_server(app, **config)``."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI, **config: object) -> int:
        port = free_port()
        server = uvicorn.Server(
            TLSConfig(app, host="127.0.0.1", port=port, log_level="warning", **config)  # type: ignore[arg-type]
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        servers.append((server, thread))
        return port

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
