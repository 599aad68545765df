"""A workspace git created (mode 0755) becomes private before its database is written."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.workspace.doctor import Verdict, run_checks


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def cloned(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clone of a repository that commits .shipyard/config.toml, made with umask 022."""
    subprocess.run(["git", "add", "-A"], cwd=workspace, check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=workspace, check=True, env={
        **os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x",
        "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@x"})  # fmt: skip
    old = os.umask(0o022)
    try:
        subprocess.run(["git", "clone", "-q", str(workspace), str(tmp_path / "clone")], check=True)
    finally:
        os.umask(old)
    clone = tmp_path / "clone"
    assert _mode(clone / ".shipyard") == 0o755
    monkeypatch.chdir(clone)
    return clone


def test_the_first_command_in_a_clone_makes_the_workspace_private(
    cloned: Path, cli: Callable[..., Result]
) -> None:
    old = os.umask(0o022)
    try:
        result = cli("users", "add", "ada", "--role", "admin", input="correct horse battery\n" * 2)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    # The folder was private before the database with the password hash was created.
    assert _mode(cloned / ".shipyard") == 0o700
    assert (cloned / ".shipyard" / "shipyard.db").is_file()


def test_doctor_warns_about_a_readable_workspace_and_changes_nothing(
    cloned: Path, cli: Callable[..., Result]
) -> None:
    checks = {c.name: c for c in run_checks(cloned, env={})}
    assert checks["permissions"].verdict is Verdict.WARN
    assert "0755" in checks["permissions"].detail
    assert _mode(cloned / ".shipyard") == 0o755  # doctor only reports
    assert cli("status").exit_code == 0
    checks = {c.name: c for c in run_checks(cloned, env={})}
    assert checks["permissions"].verdict is Verdict.OK


def test_a_readable_database_file_is_tightened_too(workspace: Path) -> None:
    db = workspace / ".shipyard" / "shipyard.db"
    os.chmod(db, 0o644)
    checks = {c.name: c for c in run_checks(workspace, env={})}
    assert checks["permissions"].verdict is Verdict.WARN
    from shipyard.context import open_context

    open_context(workspace).close()
    assert _mode(db) == 0o600
