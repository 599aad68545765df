"""Shared fixtures: real databases (SQLite file, PostgreSQL), workspaces, the CLI.

PostgreSQL: each test session creates its own database on the server named by
SHIPYARD_TEST_POSTGRES (default: the local trust-auth server) and drops it at
the end. Tests never reuse a developer's data.
"""

from __future__ import annotations

import os
import re
import subprocess
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

pytest_plugins = ["tests.serverkit"]

PG_ADMIN_URL = os.environ.get(
    "SHIPYARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SHIPYARD_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("SHIPYARD_") and name != "SHIPYARD_TEST_POSTGRES":
            monkeypatch.delenv(name)


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
