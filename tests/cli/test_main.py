"""The command as a user meets it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard import __version__

Cli = Callable[..., Result]


def test_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"shipyard {__version__}"


def test_no_arguments_shows_help(cli: Cli) -> None:
    result = cli()
    assert "init" in result.output
    assert "doctor" in result.output


def test_unknown_command_is_a_usage_error(cli: Cli) -> None:
    result = cli("frobnicate")
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_outside_a_workspace_says_so_in_one_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("status")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: no Shipyard workspace in")
    assert "shipyard init" in lines[0]
    assert "Traceback" not in result.output


def test_unreachable_postgres_is_a_failure_not_a_usage_error(cli: Cli, workspace: Path) -> None:
    result = cli("--uri", "postgresql://ann:s3cret@127.0.0.1:1/ml", "status")
    assert result.exit_code == 1
    assert "cannot use the metadata store at postgresql://ann:***@127.0.0.1:1/ml" in result.stderr
    assert "s3cret" not in result.output
    assert "Traceback" not in result.output


def test_a_corrupt_config_file_is_bad_input(cli: Cli, workspace: Path) -> None:
    (workspace / ".shipyard" / "config.toml").write_text("[store]\nuri = \n")
    result = cli("status")
    assert result.exit_code == 2
    assert "config.toml is not valid TOML" in result.stderr
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("--debug", "status")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "WorkspaceNotFound" in result.stderr


def test_shipyard_debug_environment_variable_also_shows_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHIPYARD_DEBUG", "1")
    assert "Traceback" in cli("status").stderr


def test_dash_c_runs_as_if_started_elsewhere(
    cli: Cli, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("-C", str(workspace / "."), "status")
    assert result.exit_code == 0
    assert "demo" in result.stdout
