"""Validated claims into Shipyard users: groups → roles, linking, refreshes, refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shipyard.auth.service import AuthService
from shipyard.auth.sso import begin, peek, sign_in, take
from shipyard.core.errors import Conflict, PermissionDenied, Unauthenticated
from shipyard.core.oidc_config import OidcConfig, RoleGrant
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.store.db import Database

ISSUER = "https://login.example.com"
CONFIG = OidcConfig(
    issuer=ISSUER,
    client_id="shipyard",
    roles={
        "ml-team": (RoleGrant("churn", "contributor"),),
        "ml-leads": (RoleGrant("churn", "maintainer"), RoleGrant("fraud", "viewer")),
    },
)
HOUR = timedelta(hours=1)


def _claims(sub: str = "u-1", name: str = "alice", groups: Any = ("ml-team",)) -> dict[str, Any]:
    return {"sub": sub, "preferred_username": name, "groups": list(groups)}


def _roles(db: Database, name: str) -> dict[str, str]:
    users = AuthService(db).list_users(LOCAL_OWNER)
    return {p: r.label for u in users if u.name == name for p, r in u.roles.items()}


def _sign_in(db: Database, claims: dict[str, Any], config: OidcConfig = CONFIG) -> str:
    created = sign_in(db, config, claims, source="test", expires_in=HOUR)
    principal = AuthService(db).authenticate(created.secret)
    assert principal is not None
    return principal.name


def test_the_first_sign_in_creates_the_user_with_the_roles_of_its_groups(
    database: Database,
) -> None:
    assert _sign_in(database, _claims(groups=["ml-team", "ml-leads", "unmapped"])) == "alice"
    assert _roles(database, "alice") == {"churn": "maintainer", "fraud": "viewer"}
    actions = [e.action for e in AuthService(database).audit_entries(LOCAL_OWNER)]
    assert "auth.sso_login" in actions
    assert "user.add" in actions


def test_memberships_follow_the_groups_at_each_sign_in_and_hand_set_roles_stay(
    database: Database,
) -> None:
    _sign_in(database, _claims(groups=["ml-leads"]))
    AuthService(database).set_role(LOCAL_OWNER, "alice", "billing", Role.VIEWER)
    _sign_in(database, _claims(groups=["ml-team"]))  # left ml-leads at the provider
    assert _roles(database, "alice") == {"churn": "contributor", "billing": "viewer"}


def test_groups_that_map_to_no_role_are_refused_and_create_nobody(database: Database) -> None:
    with pytest.raises(PermissionDenied, match="give no role in any Shipyard project"):
        _sign_in(database, _claims(groups=["marketing"]))
    with pytest.raises(PermissionDenied):
        _sign_in(database, {"sub": "u-1", "preferred_username": "alice"})  # no groups claim
    assert [u.name for u in AuthService(database).list_users(LOCAL_OWNER)] == []


def test_an_admin_signs_in_without_mapped_groups(database: Database) -> None:
    AuthService(database).add_user(LOCAL_OWNER, "root", admin=True)  # no password: SSO links it
    assert _sign_in(database, _claims(name="root", groups=[])) == "root"


def test_a_local_user_with_a_password_is_never_taken_over(database: Database) -> None:
    AuthService(database).add_user(LOCAL_OWNER, "alice", password="a long enough password")
    with pytest.raises(Conflict, match="exists already and is not linked"):
        _sign_in(database, _claims())


def test_a_user_is_found_by_subject_not_by_name(database: Database) -> None:
    _sign_in(database, _claims(sub="u-1", name="alice"))
    # the provider renamed the account: still the same Shipyard user
    assert _sign_in(database, _claims(sub="u-1", name="alice.smith")) == "alice"
    # another account claiming the name of a linked user is refused
    with pytest.raises(Conflict):
        _sign_in(database, _claims(sub="u-2", name="alice"))


def test_an_unusable_name_claim_and_a_disabled_user_are_refused(database: Database) -> None:
    with pytest.raises(Unauthenticated, match="'preferred_username' claim is not a usable"):
        _sign_in(database, _claims(name="bad name!"))
    _sign_in(database, _claims())
    AuthService(database).set_disabled(LOCAL_OWNER, "alice")
    with pytest.raises(PermissionDenied, match="disabled"):
        _sign_in(database, _claims())


def test_a_started_sign_in_is_finished_once(database: Database) -> None:
    begin(database, "state-1", "browser", nonce="n", verifier="v")
    assert take(database, "state-1", "browser").verifier == "v"
    with pytest.raises(Unauthenticated, match="finished already or has expired"):
        take(database, "state-1", "browser")  # replayed
    begin(database, "handle-1", "device", device_code="d")
    with pytest.raises(Unauthenticated):
        take(database, "handle-1", "browser")  # a device handle is no browser state
    begin(database, "state-2", "browser", nonce="n", verifier="v", ttl=-HOUR)
    with pytest.raises(Unauthenticated, match="expired"):
        peek(database, "state-2", "browser")


def test_leaving_every_mapped_group_takes_the_roles_back_and_refuses(database: Database) -> None:
    _sign_in(database, _claims(groups=["ml-leads"]))
    AuthService(database).set_role(LOCAL_OWNER, "alice", "billing", Role.VIEWER)
    with pytest.raises(PermissionDenied, match="give no role"):
        _sign_in(database, _claims(groups=["marketing"]))
    assert _roles(database, "alice") == {"billing": "viewer"}
    actions = [e.action for e in AuthService(database).audit_entries(LOCAL_OWNER)]
    assert actions[0] == "auth.sso_refused"
