from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from shipyard.auth.service import AuthService
from shipyard.context import open_context

Cli = Callable[..., Result]


def test_create_the_first_admin_without_a_server(cli: Cli, workspace: Path) -> None:
    result = cli("users", "add", "root", "--role", "admin", "--password-stdin",
                 input="a long enough password\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "added user root (admin)" in result.stdout
    users = json.loads(cli("users", "ls", "--json").stdout)
    assert users[0]["name"] == "root"
    assert users[0]["admin"] is True


def test_a_project_role_defaults_to_the_workspace_project(cli: Cli, workspace: Path) -> None:
    result = cli("users", "add", "ann", "--role", "viewer", "--no-password")
    assert result.exit_code == 0
    assert "viewer in demo" in result.stdout
    assert cli("users", "role", "ann", "maintainer").exit_code == 0
    users = json.loads(cli("users", "ls", "--json").stdout)
    assert users[0]["roles"] == {"demo": "maintainer"}


def test_bad_role_and_short_password_are_bad_input(cli: Cli, workspace: Path) -> None:
    result = cli("users", "add", "ann", "--role", "owner", "--no-password")
    assert result.exit_code == 2
    assert "unknown role 'owner'" in result.stderr
    result = cli("users", "add", "ann", "--password-stdin", input="short\n")
    assert result.exit_code == 2
    assert "too short" in result.stderr


def test_a_token_is_shown_once_and_works(cli: Cli, workspace: Path) -> None:
    cli("users", "add", "ann", "--role", "contributor", "--no-password")
    result = cli("tokens", "create", "--user", "ann", "--expires", "30d")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("shy_")
    assert "only time the token is shown" in result.stderr
    with open_context(workspace) as ctx:
        assert AuthService(ctx.db).authenticate(secret).name == "ann"
    listing = cli("tokens", "ls", "--user", "ann")
    assert secret.split("_", 2)[2] not in listing.stdout
    token_id = secret.split("_")[1]
    assert cli("tokens", "revoke", token_id).exit_code == 0
    assert "revoked" in cli("tokens", "ls", "--user", "ann").stdout


def test_tokens_need_an_owner_in_local_mode(cli: Cli, workspace: Path) -> None:
    result = cli("tokens", "create")
    assert result.exit_code == 2
    assert "--user" in result.stderr


def test_audit_ls_shows_who_did_what(cli: Cli, workspace: Path) -> None:
    cli("users", "add", "ann", "--no-password")
    result = cli("audit", "ls", "--since", "1h", "--json")
    actions = [e["action"] for e in json.loads(result.stdout)]
    assert actions[0] == "user.add"
    assert "workspace.init" in actions
    assert cli("audit", "ls", "--since", "whenever").exit_code == 2
