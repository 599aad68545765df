"""Users, tokens and the audit log from the CLI, embedded and against a team server."""

from __future__ import annotations

import json

import pytest

from tests.contracts.sdk_modes import Mode, as_admin


def test_an_admin_manages_users_tokens_and_reads_the_audit_log(
    mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_admin(mode, monkeypatch)
    user = mode.unique("bea")
    added = mode.cli("users", "add", user, "--role", "viewer", "--project", mode.project,
                     "--no-password")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert f"added user {user} (viewer in {mode.project})" in added.stdout
    listed = json.loads(mode.cli("users", "ls", "--json").stdout)
    assert {"name": user, "roles": {mode.project: "viewer"}}.items() <= {
        **next(u for u in listed if u["name"] == user)
    }.items()
    created = mode.cli("tokens", "create", "--user", user, "--expires", "1d", "--json")
    assert created.exit_code == 0, created.output
    made = json.loads(created.stdout)
    token_id = made["info"]["id"]
    assert made["token"].startswith(f"shy_{token_id}_")
    assert made["info"]["user"] == user
    assert made["info"]["expires_at"] is not None
    assert mode.cli("tokens", "revoke", token_id).exit_code == 0
    tokens = json.loads(mode.cli("tokens", "ls", "--user", user, "--json").stdout)
    assert [(t["id"], t["revoked"]) for t in tokens] == [(token_id, True)]
    audit = mode.cli("audit", "ls", "--since", "1h", "--limit", "500", "--json")
    entries = json.loads(audit.stdout)
    mine = [e for e in entries if e["target"] in (f"user:{user}", f"token:{token_id}")]
    assert {e["action"] for e in mine} == {"user.add", "token.create", "token.revoke"}
    verified = mode.cli("audit", "verify")
    assert verified.exit_code == 0
    assert "the audit log is intact" in verified.stdout


def test_whoami_names_who_acts(mode: Mode) -> None:
    result = mode.cli("whoami")
    assert result.exit_code == 0, result.output
    expected = "contributor on" if mode.remote else "local owner of this workspace"
    assert expected in result.stdout


def test_an_unknown_user_is_not_found_either_way(
    mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_admin(mode, monkeypatch)
    result = mode.cli("users", "disable", mode.unique("nobody"))
    assert result.exit_code == 2
    assert "no user named" in result.stderr


def test_audit_entries_are_the_same_value_objects_on_both_sides(mode: Mode) -> None:
    from shipyard.audit.entry import AuditEntry

    user = mode.unique("cy")
    auth = mode.admin.auth
    auth.add_user(mode.admin.principal, user, password=None)
    entries = auth.audit_entries(mode.admin.principal, action="user.add", limit=500)
    mine = [e for e in entries if e.target == f"user:{user}"]
    assert len(mine) == 1
    assert type(mine[0]) is AuditEntry  # not an ORM row embedded, not a dict remotely
    assert mine[0].to_dict()["action"] == "user.add"
    assert AuditEntry.from_dict(mine[0].to_dict()) == mine[0]
