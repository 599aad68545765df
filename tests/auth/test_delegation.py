"""No principal hands out more than it holds: tokens minting tokens, and every other
delegation (memberships, users, passwords, revocations, alias moves).

The matrix: every creator (user × role cap × project scope × expiry) asks for
every token (owner × role × project × expiry); each answer is a refusal exactly
where the documented rule says, or a token no broader and no longer-lived than
its creator.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from shipyard.auth.service import AuthService
from shipyard.core.errors import InvalidInput, PermissionDenied
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.registry.aliases import AliasService
from shipyard.store import audit
from shipyard.store.db import Database
from tests.auth.delegation import (
    ASKS,
    CREATORS,
    P1,
    P2,
    Creator,
    add_people,
    creator_token,
    may_mint,
    problems,
)
from tests.server.registry_seed import seed_model


@pytest.fixture
def auth(database: Database) -> AuthService:
    service = AuthService(database)
    add_people(service)
    return service


@pytest.mark.parametrize("creator", CREATORS, ids=str)
def test_no_minted_token_exceeds_its_creator(auth: AuthService, creator: Creator) -> None:
    made = creator_token(auth, creator)
    principal, limit = made.principal, made.expires_at
    wrong = []
    for ask in ASKS:
        try:
            created = auth.create_token(
                principal, name="child", user=ask.owner, role_cap=ask.role,
                project=ask.project, expires_in=ask.lifetime,
            )  # fmt: skip
        except PermissionDenied as refused:
            if may_mint(creator, ask):
                wrong.append(f"{ask}: refused ({refused.message})")
            continue
        if not may_mint(creator, ask):
            wrong.append(f"{ask}: minted, but the rule refuses it")
        minted = auth.authenticate(created.secret)
        wrong += [f"{ask}: {p}" for p in problems(principal, limit, minted, created.info)]
    assert not wrong, "\n".join(wrong)


def test_refusals_are_one_clear_line(auth: AuthService) -> None:
    narrow = creator_token(auth, Creator("ann", Role.VIEWER, P1, None)).principal
    with pytest.raises(PermissionDenied) as caught:
        auth.create_token(narrow, name="x")
    assert caught.value.message == (
        "ann may not create tokens with a token capped at a role or scoped to a project"
    )
    made = creator_token(auth, Creator("ann", None, None, timedelta(minutes=1)))
    brief = made.principal
    with pytest.raises(PermissionDenied, match=r"^ann may not create a token that outlives"):
        auth.create_token(brief, name="x", expires_in=timedelta(days=30))
    inherited = auth.create_token(brief, name="x")  # no expiry asked: the creator's
    assert inherited.info.expires_at == made.expires_at


def test_an_admins_own_token_bounds_the_tokens_it_makes_for_others(auth: AuthService) -> None:
    made = creator_token(auth, Creator("root", None, None, timedelta(hours=1)))
    root = made.principal
    for_bob = auth.create_token(root, name="ci", user="bob", role_cap=Role.VIEWER)
    assert for_bob.info.expires_at == made.expires_at
    with pytest.raises(PermissionDenied, match="outlives"):
        auth.create_token(root, name="ci", user="bob", expires_in=timedelta(days=1))
    capped = creator_token(auth, Creator("root", Role.MAINTAINER, None, None)).principal
    with pytest.raises(PermissionDenied, match="may not create tokens for other users"):
        auth.create_token(capped, name="ci", user="bob")


def test_the_local_owner_and_logins_mint_without_a_ceiling(auth: AuthService) -> None:
    forever = auth.create_token(LOCAL_OWNER, name="ci", user="bob")
    assert forever.info.expires_at is None
    auth.set_password(LOCAL_OWNER, "ann", "a long enough password")
    session = auth.login("ann", "a long enough password", expires_in=timedelta(hours=8))
    who = auth.authenticate(session.secret)
    child = auth.create_token(who, name="notebook", role_cap=Role.VIEWER, project=P1)
    assert child.info.expires_at == session.info.expires_at  # a session's tokens end with it


def test_membership_changes_stay_within_the_granters_roles(auth: AuthService) -> None:
    lead = creator_token(auth, Creator("ann", Role.MAINTAINER, None, None)).principal
    auth.set_role(lead, "bob", P1, Role.MAINTAINER)  # ann maintains p1
    with pytest.raises(PermissionDenied):  # ann only contributes to p2
        auth.set_role(lead, "bob", P2, Role.VIEWER)
    reader = creator_token(auth, Creator("ann", Role.CONTRIBUTOR, None, None)).principal
    with pytest.raises(PermissionDenied):  # a contributor-capped token manages no members
        auth.set_role(reader, "bob", P1, Role.VIEWER)
    elsewhere = creator_token(auth, Creator("ann", None, P2, None)).principal
    with pytest.raises(PermissionDenied):  # scoped to p2: nothing in p1
        auth.set_role(elsewhere, "bob", P1, Role.VIEWER)
    capped_admin = creator_token(auth, Creator("root", Role.MAINTAINER, None, None)).principal
    auth.set_role(capped_admin, "bob", P2, Role.CONTRIBUTOR)  # a maintainer everywhere
    with pytest.raises(InvalidInput):  # admin is no project role, capped or not
        auth.set_role(capped_admin, "bob", P2, Role.ADMIN)
    assert auth.list_users(LOCAL_OWNER)[1].roles == {P1: Role.MAINTAINER, P2: Role.CONTRIBUTOR}


@pytest.mark.parametrize(("cap", "scope"), [(Role.MAINTAINER, None), (None, P1)])
def test_a_capped_or_scoped_admin_token_manages_no_users(
    auth: AuthService, cap: Role | None, scope: str | None
) -> None:
    token = creator_token(auth, Creator("root", cap, scope, None)).principal
    assert not token.admin
    for attempt in (
        lambda: auth.add_user(token, "eve", role=Role.ADMIN),
        lambda: auth.set_disabled(token, "bob", True),
        lambda: auth.set_disabled(token, "bob", False),
        lambda: auth.set_password(token, "bob", "a long enough password"),
        lambda: auth.list_tokens(token, "bob"),
    ):
        with pytest.raises(PermissionDenied):
            attempt()


def test_a_narrow_token_revokes_only_itself_and_sets_no_password(auth: AuthService) -> None:
    other = auth.create_token(LOCAL_OWNER, name="other", user="ann")
    made = creator_token(auth, Creator("ann", Role.VIEWER, None, None))
    narrow = made.principal
    with pytest.raises(PermissionDenied, match="may not revoke other tokens"):
        auth.revoke_token(narrow, other.info.id)
    with pytest.raises(PermissionDenied, match="may not change a password"):
        auth.set_password(narrow, "ann", "a long enough password")
    auth.revoke_token(narrow, made.id)
    assert [t.revoked for t in auth.list_tokens(LOCAL_OWNER, "ann")] == [False, True]
    full = creator_token(auth, Creator("ann", None, None, None)).principal
    auth.revoke_token(full, other.info.id)  # the user's full power revokes its tokens


def test_alias_moves_follow_the_tokens_cap_and_scope(database: Database, auth: AuthService) -> None:
    name = seed_model(database, P1)
    aliases = AliasService(database)
    lead = creator_token(auth, Creator("ann", Role.MAINTAINER, P1, None)).principal
    aliases.set_alias(lead, P1, name, "production", 1)
    for creator in (Creator("ann", Role.CONTRIBUTOR, None, None), Creator("ann", None, P2, None),
                    Creator("root", Role.VIEWER, None, None)):  # fmt: skip
        token = creator_token(auth, creator).principal
        with pytest.raises(PermissionDenied):
            aliases.set_alias(token, P1, name, "production", 2)
        with pytest.raises(PermissionDenied):
            aliases.approve(token, P1, name, 2, "production")
    with database.read() as session:
        moves = [e.action for e in audit.list_events(session, limit=50)]
    assert moves.count("model.alias.set") == 1
