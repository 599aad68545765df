from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from tests.conftest import git_init, squash

Cli = Callable[..., Result]


def test_init_in_a_git_repository(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_init(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = cli("init", "--project", "churn")
    assert result.exit_code == 0, result.output
    assert "Initialised a Shipyard workspace" in result.stdout
    assert "project 'churn'" in result.stdout
    assert "git init" not in result.stderr
    assert (tmp_path / ".shipyard" / "config.toml").read_text().count('name = "churn"') == 1


def test_init_outside_git_warns(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", str(tmp_path))
    assert result.exit_code == 0
    assert "not inside a git repository" in result.stderr


def test_init_twice_is_refused_and_changes_nothing(cli: Cli, workspace: Path) -> None:
    config = (workspace / ".shipyard" / "config.toml").read_bytes()
    result = cli("init")
    assert result.exit_code == 2
    assert "is a Shipyard workspace already; nothing was changed" in result.stderr
    assert (workspace / ".shipyard" / "config.toml").read_bytes() == config


def test_init_of_a_missing_folder_is_bad_input(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "is not a folder" in result.stderr


def test_status_from_a_subfolder(
    cli: Cli, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = workspace / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    result = cli("status")
    assert result.exit_code == 0
    assert squash(str(workspace)) in squash(result.stdout)
    assert "workspace.init by local" in result.stdout


def test_status_json_is_machine_readable(cli: Cli, workspace: Path) -> None:
    data = json.loads(cli("status", "--json").stdout)
    assert data["project"] == "demo"
    assert data["projects"] == ["demo"]
    assert data["counts"]["audit events"] == 2
    assert data["schema_revision"]


def test_doctor_passes_in_a_fresh_workspace(cli: Cli, workspace: Path) -> None:
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    assert "Everything Shipyard needs is in place" in result.stdout


def test_doctor_fails_with_exit_1_and_names_the_problem(cli: Cli, workspace: Path) -> None:
    (workspace / ".shipyard" / "config.toml").write_text("not toml at all [")
    result = cli("doctor")
    assert result.exit_code == 1
    assert "fail" in result.stdout
    assert "notvalidTOML" in squash(result.stdout)


def test_the_installed_command_runs_init_and_doctor(tmp_path: Path) -> None:
    """The console script itself, as a user runs it in a new git repository."""
    git_init(tmp_path)
    exe = Path(sys.executable).with_name("shipyard")
    for args in (["init"], ["doctor"], ["status"]):
        done = subprocess.run([exe, *args], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
