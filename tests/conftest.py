"""Shared fixtures: real databases (SQLite file, PostgreSQL), S3, workspaces, the CLI.

PostgreSQL: each test session creates its own database on the server named by
SHIPYARD_TEST_POSTGRES (default: the local trust-auth server) and drops it at
the end. Tests never reuse a developer's data.

S3: ``s3_endpoint`` starts moto's standalone server (a real S3-protocol HTTP
server) on 127.0.0.1 once per session; ``s3_bucket`` / ``s3_bucket_url`` give
each test a fresh bucket. Fake credentials are set in the environment.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from shipyard.cli.main import app
from shipyard.core.principal import LOCAL_OWNER
from shipyard.store.db import Database
from shipyard.store.migrate import upgrade
from shipyard.store.schema import metadata
from shipyard.workspace.create import init_workspace

pytest_plugins = ["tests.serverkit", "tests.auth.oidckit"]

PG_ADMIN_URL = os.environ.get(
    "SHIPYARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


S3_REGION = "us-east-1"
_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": S3_REGION,
}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SHIPYARD_* variable of the developer's shell leaks into a test, nor their
    user cache (spool files of their own runs, which `runs sync` would report)."""
    for name in list(os.environ):
        if name.startswith("SHIPYARD_") and name != "SHIPYARD_TEST_POSTGRES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


@contextmanager
def _new_postgres_database() -> Iterator[str]:
    name = f"shipyard_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required for the tests ({PG_ADMIN_URL}): {exc}")
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL database created for this test session, dropped at its end."""
    with _new_postgres_database() as url:
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL database with no schema at all, for this test alone."""
    with _new_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def _postgres_db(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    upgrade(db)
    yield db
    db.dispose()


def _truncate(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with db.connect(write=True) as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A metadata store at the newest schema, empty, on each backend in turn."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'metadata.db'}")
        upgrade(db)
        yield db
        db.dispose()
    else:
        db = request.getfixturevalue("_postgres_db")
        _truncate(db)
        yield db


def squash(output: str) -> str:
    """Terminal output without whitespace or table borders, for text wrapped in table cells."""
    return re.sub(r"[\s│┃]", "", output)


def git_init(path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new git repository holding an initialised workspace; the current folder."""
    root = tmp_path / "repo"
    root.mkdir()
    git_init(root)
    init_workspace(root, LOCAL_OWNER, project="demo")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run ``shipyard ARGS…`` in-process and return the result (exit code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a moto S3 server on 127.0.0.1, started for this session (fake credentials set)."""
    saved = {name: os.environ.get(name) for name in [*_FAKE_AWS, "AWS_PROFILE"]}
    os.environ.update(_FAKE_AWS)
    os.environ.pop("AWS_PROFILE", None)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty bucket on the moto server, for this test alone."""
    import boto3

    for name, value in _FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    name = f"test-{uuid.uuid4().hex[:16]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=S3_REGION)
    client.create_bucket(Bucket=name)
    client.close()
    return name


@pytest.fixture
def s3_bucket_url(s3_bucket: str) -> str:
    """``s3://<fresh bucket>/store``: where a test can open an S3 object store."""
    return f"s3://{s3_bucket}/store"
