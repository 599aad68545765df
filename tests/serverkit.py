"""Team-server fixtures: an app per backend, personas with tokens, live servers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
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
from shipyard.store.migrate import upgrade

PROJECT = "churn"
PASSWORD = "a long enough password"


@dataclass
class Team:
    """Tokens by persona: admin, maintainer/contributor/viewer of PROJECT, outsider…"""

    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}


def server_context(database: Database, objects: object = None, **settings: object) -> Context:
    """A server's context over ``database``, with its objects in the folder or bucket
    ``objects`` (none: object routes answer that the server has no object store)."""
    uri = database.url.render_as_string(hide_password=False)
    flags = {"store.uri": uri, **settings}
    if objects is not None:
        flags["objects.path"] = str(objects)
    return Context(build_settings(env={}, flags=flags))


@pytest.fixture
def server_app(database: Database, tmp_path: Path) -> Iterator[FastAPI]:
    ctx = server_context(database, objects=tmp_path / "server-objects")
    yield create_app(ctx)
    ctx.close()


@pytest.fixture
def client(server_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(server_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def team(database: Database) -> Team:
    return make_team(database)


def make_team(database: Database) -> Team:
    """Users and tokens of every persona in ``database`` (one argon2 hash in all)."""
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
    team.tokens["capped-admin"] = auth.create_token(  # an admin's token capped: not an admin
        LOCAL_OWNER, name="t", user="root", role_cap=Role.VIEWER
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


@contextmanager
def running(app: FastAPI, **config: object) -> Iterator[int]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yield the port."""
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
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server() -> Iterator[object]:
    """Start an app on a real 127.0.0.1 port in a thread: ``live_server(app, **config)``."""
    with ExitStack() as stack:
        yield lambda app, **config: stack.enter_context(running(app, **config))


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[Database]:
    """A metadata store of its own at the newest schema: a SQLite file, or a new
    PostgreSQL database dropped afterwards."""
    from tests.conftest import _new_postgres_database

    if kind == "sqlite":
        db = Database(f"sqlite:///{folder / 'metadata.db'}")
        upgrade(db)
        yield db
        db.dispose()
        return
    with _new_postgres_database() as url:
        db = Database(url)
        upgrade(db)
        yield db
        db.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A metadata store shared by the tests of one module (each leaves its data there)."""
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as db:
        yield db


@dataclass
class TeamServer:
    """``shipyard server`` in a process of its own on 127.0.0.1 (PostgreSQL, S3, 2 workers)."""

    url: str
    team: Team
    database: Database
    objects: str
    process: subprocess.Popen[bytes]
    log: Path
    metrics: Path
    """The folder where the workers write their Prometheus metrics."""

    def context(self, persona: str = "contributor", project: str = PROJECT) -> Context:
        """A client's context: SHIPYARD_URI, SHIPYARD_TOKEN and SHIPYARD_PROJECT set."""
        flags = {"store.uri": self.url, "client.token": self.team.tokens.get(persona, ""),
                 "project.name": project}  # fmt: skip
        return Context(build_settings(env={}, flags=flags))

    def env(self, persona: str = "contributor", project: str = PROJECT) -> dict[str, str]:
        """The environment a client process needs to work against this server."""
        return {"SHIPYARD_URI": self.url, "SHIPYARD_TOKEN": self.team.tokens[persona],
                "SHIPYARD_PROJECT": project}  # fmt: skip


def start_server(
    args: list[str], env: dict[str, str], log: Path, *, timeout: float = 60.0, port: int = 0
) -> tuple[subprocess.Popen[bytes], str]:
    """Run ``shipyard server ARGS`` on ``port`` (default: a free one); return the process
    and its URL. Appends to ``log``."""
    port = port or free_port()
    command = [str(Path(sys.executable).parent / "shipyard"), "server", "--host", "127.0.0.1",
               "--port", str(port), *args]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError(f"the server did not start: {log.read_text()[-3000:]}")
        time.sleep(0.1)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def team_server(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    """One team server for the session: PostgreSQL of its own, a moto S3 bucket, 2 workers.

    Tests share it: each uses names of its own (experiments, objects) and reads
    only what it wrote.
    """
    import boto3

    bucket = f"team-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    s3.close()
    objects = f"s3://{bucket}/shipyard"
    folder = tmp_path_factory.mktemp("team-server")
    with fresh_database("postgresql", folder) as database:
        team = make_team(database)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
        metrics = folder / "metrics"
        env |= {"SHIPYARD_OBJECTS_S3_ENDPOINT_URL": s3_endpoint, "SHIPYARD_SERVER_LOGIN_TTL": "1h",
                "PROMETHEUS_MULTIPROC_DIR": str(metrics)}  # fmt: skip
        uri = database.url.render_as_string(hide_password=False)
        log = folder / "server.log"
        process, url = start_server(["--db", uri, "--store", objects, "--workers", "2"], env, log)
        try:
            yield TeamServer(url, team, database, objects, process, log, metrics)
        finally:
            stop_server(process)
