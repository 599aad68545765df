from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from shipyard.store.schema import SCHEMA_HEAD

Cli = Callable[..., Result]


def test_db_current_on_the_embedded_store(cli: Cli, workspace: Path) -> None:
    result = cli("db", "current")
    assert result.exit_code == 0
    assert f"schema {SCHEMA_HEAD} (newest)" in result.stdout


def test_upgrade_a_new_postgres_database(cli: Cli, empty_postgres_url: str) -> None:
    postgres_url = empty_postgres_url
    result = cli("--uri", postgres_url, "db", "current")
    assert "schema none (behind" in result.stdout
    result = cli("--uri", postgres_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"from schema none to {SCHEMA_HEAD}" in result.stdout
    result = cli("--uri", postgres_url, "db", "upgrade")
    assert "already at schema" in result.stdout


def test_db_upgrade_of_an_unreachable_store(cli: Cli, tmp_path: Path) -> None:
    result = cli("--uri", "postgresql://127.0.0.1:1/x", "db", "upgrade")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot use the metadata store")
