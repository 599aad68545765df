"""The auth interface (``ctx.auth``) in every mode: users, roles, tokens, the audit log,
and who may do what. The CLI's view of the same is test_auth_cli.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shipyard.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from shipyard.core.principal import Role
from tests.contracts.sdk_modes import Mode


def test_an_admin_manages_a_user_and_their_tokens(mode: Mode) -> None:
    admin = mode.persona("root")
    auth, me = admin.auth, admin.principal
    name = mode.unique("dora")
    added = auth.add_user(me, name, password=None, project=mode.project, role=Role.VIEWER)
    assert (added.name, added.admin, added.disabled) == (name, False, False)
    assert added.roles == {mode.project: Role.VIEWER}
    auth.set_role(me, name, mode.project, Role.CONTRIBUTOR)
    auth.set_role(me, name, "fraud", Role.VIEWER)
    auth.set_role(me, name, "fraud", None)
    [listed] = [u for u in auth.list_users(me) if u.name == name]
    assert listed.roles == {mode.project: Role.CONTRIBUTOR}
    made = auth.create_token(me, name="ci", user=name, role_cap=Role.VIEWER,
                             project=mode.project, expires_in=timedelta(days=1))  # fmt: skip
    assert made.secret.startswith(f"shy_{made.info.id}_")
    info = made.info
    assert (info.user, info.name, info.role_cap, info.project) == (name, "ci", Role.VIEWER,
                                                                  mode.project)  # fmt: skip
    assert info.expires_at is not None
    auth.revoke_token(me, info.id)
    assert [(t.id, t.revoked) for t in auth.list_tokens(me, user=name)] == [(info.id, True)]
    disabled = auth.set_disabled(me, name, True)
    assert disabled.disabled
    entries = auth.audit_entries(me, limit=500)
    mine = [(e.action, e.principal) for e in reversed(entries)
            if e.target in (f"user:{name}", f"token:{info.id}")]  # fmt: skip
    assert [action for action, _ in mine] == [
        "user.add", "member.set", "member.set", "member.set", "token.create", "token.revoke",
        "user.disable",
    ]  # fmt: skip
    assert {who for _, who in mine} == {"root"}
    report = auth.verify_audit(me)
    assert report.intact
    assert report.entries >= len(mine)


def test_names_taken_unknown_or_malformed(mode: Mode) -> None:
    admin = mode.persona("root")
    auth, me = admin.auth, admin.principal
    name = mode.unique("eve")
    auth.add_user(me, name, password=None)
    with pytest.raises(AlreadyExists, match=name):
        auth.add_user(me, name, password=None)
    ghost = mode.unique("ghost")
    with pytest.raises(NotFound, match=ghost):
        auth.set_role(me, ghost, mode.project, Role.VIEWER)
    with pytest.raises(NotFound, match=ghost):
        auth.set_disabled(me, ghost, True)
    with pytest.raises(NotFound, match=ghost):
        auth.create_token(me, name="t", user=ghost)
    with pytest.raises(NotFound):
        auth.revoke_token(me, "0" * 12)
    with pytest.raises(InvalidInput):
        auth.add_user(me, "no spaces allowed", password=None)
    with pytest.raises(InvalidInput):
        auth.add_user(me, mode.unique("short"), password="short")
    assert not [u for u in auth.list_users(me) if u.name == "no spaces allowed"]


@pytest.mark.parametrize("persona", ["maintainer", "viewer", "outsider"])
def test_only_admins_manage_users_and_read_the_audit_log(mode: Mode, persona: str) -> None:
    ctx = mode.persona(persona)
    auth, me = ctx.auth, ctx.principal
    name = mode.unique("mallory")
    with pytest.raises(PermissionDenied):
        auth.add_user(me, name, password=None, admin=True)
    if persona != "maintainer":  # a project's maintainers manage its members
        with pytest.raises(PermissionDenied):
            auth.set_role(me, name, mode.project, Role.VIEWER)
    with pytest.raises(PermissionDenied):
        auth.set_disabled(me, "root", True)
    with pytest.raises(PermissionDenied):
        auth.create_token(me, name="t", user="root")
    with pytest.raises(PermissionDenied):
        auth.audit_entries(me)
    with pytest.raises(PermissionDenied):
        auth.verify_audit(me)
    root = mode.persona("root")
    assert not [u for u in root.auth.list_users(root.principal) if u.name == name]


def test_a_maintainer_manages_the_members_of_its_project_only(mode: Mode) -> None:
    root = mode.persona("root")
    name = mode.unique("finn")
    root.auth.add_user(root.principal, name, password=None)
    maintainer = mode.persona("maintainer")
    auth, me = maintainer.auth, maintainer.principal
    auth.set_role(me, name, mode.project, Role.CONTRIBUTOR)
    with pytest.raises(PermissionDenied):
        auth.set_role(me, name, "fraud", Role.VIEWER)
    with pytest.raises(InvalidInput, match="admin is not a project role"):  # one rule, both sides
        auth.set_role(me, name, mode.project, Role.ADMIN)
    [user] = [u for u in root.auth.list_users(root.principal) if u.name == name]
    assert user.roles == {mode.project: Role.CONTRIBUTOR}
