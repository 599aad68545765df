"""login / whoami / logout against a live server, with the token saved privately."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import Result

from shipyard.client.credentials import credentials_path, saved_token
from tests.serverkit import PASSWORD, Team

Cli = Callable[..., Result]


@pytest.fixture
def server_url(server_app: FastAPI, live_server, team: Team, tmp_path: Path,  # type: ignore[no-untyped-def]
               monkeypatch: pytest.MonkeyPatch) -> str:  # fmt: skip
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    return f"http://127.0.0.1:{live_server(server_app)}"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_login_whoami_logout(cli: Cli, server_url: str) -> None:
    result = cli("login", server_url, "--user", "viewer", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "logged in" in result.stdout
    path = credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = saved_token(server_url)
    assert token.startswith("shy_")

    who = cli("--uri", server_url, "whoami")
    assert who.exit_code == 0, who.output
    assert "viewer on" in who.stdout
    assert "churn: viewer" in who.stdout

    assert cli("--uri", server_url, "logout").exit_code == 0
    assert saved_token(server_url) == ""
    after = cli("--uri", server_url, "whoami")
    assert after.exit_code == 2
    assert "needs authentication" in after.stderr


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_wrong_password_is_a_clear_error(cli: Cli, server_url: str) -> None:
    result = cli("login", server_url, "--user", "viewer", "--password-stdin", input="nope\n")
    assert result.exit_code == 2
    assert "wrong user name or password" in result.stderr
    assert saved_token(server_url) == ""


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_database_commands_refuse_a_server_uri(cli: Cli, server_url: str) -> None:
    result = cli("--uri", server_url, "db", "upgrade")
    assert result.exit_code == 2
    assert "needs direct access to the metadata store" in result.stderr


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_users_tokens_and_audit_commands_go_to_the_server(
    cli: Cli, server_url: str, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "needs authentication" in cli("--uri", server_url, "users", "ls").stderr
    monkeypatch.setenv("SHIPYARD_TOKEN", team.tokens["viewer"])
    denied = cli("--uri", server_url, "users", "ls")
    assert denied.exit_code == 2
    assert "viewer may not list users" in denied.stderr
    created = cli("--uri", server_url, "tokens", "create", "--name", "ci", "--expires", "1d")
    assert created.exit_code == 0, created.output  # your own token: no --user needed
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("shy_")
    listed = cli("--uri", server_url, "tokens", "ls")
    assert "ci" in listed.stdout
    revoked = cli("--uri", server_url, "tokens", "revoke", token.split("_")[1])
    assert revoked.exit_code == 0, revoked.output
    monkeypatch.setenv("SHIPYARD_TOKEN", team.tokens["root"])
    added = cli("--uri", server_url, "users", "add", "bea", "--role", "viewer", "--project",
                "churn", "--no-password")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "bea" in cli("--uri", server_url, "users", "ls").stdout
    audit = cli("--uri", server_url, "audit", "ls", "--since", "1h", "--json")
    actions = [e["action"] for e in json.loads(audit.stdout)]
    assert {"user.add", "token.revoke", "auth.denied"} <= set(actions)
    assert "intact" in cli("--uri", server_url, "audit", "verify").stdout


def test_login_needs_a_server(cli: Cli, workspace: Path) -> None:
    result = cli("login")
    assert result.exit_code == 2
    assert "say which server" in result.stderr
