"""Users, roles, tokens and logins, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shipyard.auth.service import AuthService
from shipyard.auth.tables import TokenRow, UserRow
from shipyard.core.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.store import audit
from shipyard.store.db import Database

PASSWORD = "correct horse battery"


class Clock:
    """The time login throttling sees: it moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(database: Database, clock: Clock) -> AuthService:
    return AuthService(database, clock=clock)


def test_first_admin_then_members_with_roles(auth: AuthService) -> None:
    admin = auth.add_user(LOCAL_OWNER, "root", password=PASSWORD, role=Role.ADMIN)
    assert admin.admin
    ann = auth.add_user(LOCAL_OWNER, "ann", role=Role.CONTRIBUTOR, project="churn")
    assert ann.roles == {"churn": Role.CONTRIBUTOR}
    assert [u.name for u in auth.list_users(LOCAL_OWNER)] == ["ann", "root"]
    with pytest.raises(AlreadyExists):
        auth.add_user(LOCAL_OWNER, "ann")


def test_passwords_are_stored_only_as_argon2id_hashes(auth: AuthService) -> None:
    auth.add_user(LOCAL_OWNER, "ann", password=PASSWORD)
    with auth.db.read() as session:
        stored = session.scalar(select(UserRow.password_hash).where(UserRow.name == "ann"))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "bad name"}, InvalidInput),
        ({"name": "ann", "password": "short"}, InvalidInput),
        ({"name": "ann", "role": Role.VIEWER}, InvalidInput),
    ],
)
def test_bad_user_input_is_refused_and_nothing_is_written(
    auth: AuthService, kwargs: dict, error: type[Exception]
) -> None:
    with pytest.raises(error):
        auth.add_user(LOCAL_OWNER, **kwargs)
    assert auth.list_users(LOCAL_OWNER) == []


def test_only_admins_manage_users(auth: AuthService) -> None:
    bob = Principal("bob", roles={"churn": Role.MAINTAINER})
    with pytest.raises(PermissionDenied):
        auth.add_user(bob, "eve")
    with pytest.raises(PermissionDenied):
        auth.list_users(bob)


def test_maintainers_manage_members_of_their_project_only(auth: AuthService) -> None:
    auth.add_user(LOCAL_OWNER, "ann")
    lead = Principal("lead", roles={"churn": Role.MAINTAINER})
    auth.set_role(lead, "ann", "churn", Role.CONTRIBUTOR)
    assert auth.list_users(LOCAL_OWNER)[0].roles == {"churn": Role.CONTRIBUTOR}
    with pytest.raises(PermissionDenied):
        auth.set_role(lead, "ann", "fraud", Role.VIEWER)
    auth.set_role(lead, "ann", "churn", None)
    assert auth.list_users(LOCAL_OWNER)[0].roles == {}


def test_a_token_acts_with_its_users_roles_narrowed_and_capped(auth: AuthService) -> None:
    auth.add_user(LOCAL_OWNER, "ann", role=Role.MAINTAINER, project="churn")
    auth.set_role(LOCAL_OWNER, "ann", "fraud", Role.CONTRIBUTOR)
    full = auth.create_token(LOCAL_OWNER, name="ci", user="ann")
    who = auth.authenticate(full.secret)
    assert who.name == "ann"
    assert who.role_in("churn") is Role.MAINTAINER
    assert who.role_in("fraud") is Role.CONTRIBUTOR
    scoped = auth.create_token(
        LOCAL_OWNER, name="ro", user="ann", project="churn", role_cap=Role.VIEWER
    )
    narrow = auth.authenticate(scoped.secret)
    assert narrow.role_in("churn") is Role.VIEWER
    assert narrow.role_in("fraud") is None


def test_an_admins_capped_token_is_not_admin(auth: AuthService) -> None:
    auth.add_user(LOCAL_OWNER, "root", role=Role.ADMIN)
    token = auth.create_token(LOCAL_OWNER, name="ro", user="root", role_cap=Role.VIEWER)
    who = auth.authenticate(token.secret)
    assert not who.admin
    assert who.role_in("anything") is Role.VIEWER


def test_token_secrets_are_stored_only_as_digests(auth: AuthService) -> None:
    auth.add_user(LOCAL_OWNER, "ann")
    created = auth.create_token(LOCAL_OWNER, name="ci", user="ann")
    secret = created.secret.split("_", 2)[2]
    with auth.db.read() as session:
        row = session.scalars(select(TokenRow)).one()
    assert secret not in row.secret_sha256
    assert "***" in repr(created)
    assert secret not in repr(created)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
        lambda t: "shy_" + "0" * 26 + t[30:],  # unknown id
        lambda t: "Bearer nonsense",
        lambda t: "",
    ],
)
def test_wrong_tokens_are_unauthenticated(auth: AuthService, mangle) -> None:  # type: ignore[no-untyped-def]
    auth.add_user(LOCAL_OWNER, "ann")
    token = auth.create_token(LOCAL_OWNER, name="ci", user="ann").secret
    with pytest.raises(Unauthenticated):
        auth.authenticate(mangle(token))


def test_revoked_expired_and_disabled_tokens_stop_working(auth: AuthService) -> None:
    auth.add_user(LOCAL_OWNER, "ann")
    revoked = auth.create_token(LOCAL_OWNER, name="a", user="ann")
    auth.revoke_token(LOCAL_OWNER, revoked.info.id)
    with pytest.raises(Unauthenticated, match="revoked"):
        auth.authenticate(revoked.secret)

    expired = auth.create_token(LOCAL_OWNER, name="b", user="ann", expires_in=timedelta(hours=1))
    with auth.db.write() as session:
        row = session.get(TokenRow, expired.info.id)
        assert row is not None
        row.expires_at = row.created_at - timedelta(seconds=1)
    with pytest.raises(Unauthenticated, match="expired"):
        auth.authenticate(expired.secret)

    live = auth.create_token(LOCAL_OWNER, name="c", user="ann")
    auth.set_disabled(LOCAL_OWNER, "ann", True)
    with pytest.raises(Unauthenticated, match="disabled"):
        auth.authenticate(live.secret)


def test_users_see_and_revoke_only_their_own_tokens(auth: AuthService) -> None:
    auth.add_user(LOCAL_OWNER, "ann")
    auth.add_user(LOCAL_OWNER, "bob")
    anns = auth.create_token(LOCAL_OWNER, name="a", user="ann")
    bob = Principal("bob")
    with pytest.raises(PermissionDenied):
        auth.list_tokens(bob, "ann")
    with pytest.raises(PermissionDenied):
        auth.revoke_token(bob, anns.info.id)
    with pytest.raises(NotFound):
        auth.revoke_token(bob, "nope")
    assert [t.name for t in auth.list_tokens(Principal("ann"))] == ["a"]


def test_login_issues_a_token_and_failures_are_throttled(auth: AuthService) -> None:
    auth.add_user(LOCAL_OWNER, "ann", password=PASSWORD)
    token = auth.login("ann", PASSWORD, expires_in=timedelta(hours=8))
    assert auth.authenticate(token.secret).name == "ann"
    for _ in range(5):
        with pytest.raises(Unauthenticated, match="wrong user name or password"):
            auth.login("ann", "not the password", expires_in=timedelta(hours=8))
    with pytest.raises(RateLimited) as caught:
        auth.login("ann", PASSWORD, expires_in=timedelta(hours=8))
    assert caught.value.retry_after >= 1
    with auth.db.read() as session:
        actions = [e.action for e in audit.list_events(session, limit=20)]
    assert actions.count("auth.login_failed") == 5
    assert "auth.login" in actions


def test_a_login_lock_lasts_until_the_clock_passes_it_and_doubles_per_failure(
    auth: AuthService, clock: Clock
) -> None:
    auth.add_user(LOCAL_OWNER, "ann", password=PASSWORD)
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            auth.login("ann", "not the password", expires_in=timedelta(hours=1))
    clock.advance(timedelta(milliseconds=999))  # however slow the machine, no time passed
    with pytest.raises(RateLimited):
        auth.login("ann", PASSWORD, expires_in=timedelta(hours=1))
    clock.advance(timedelta(milliseconds=2))
    with pytest.raises(Unauthenticated):  # the 1 s lock is over; a sixth failure: 2 s
        auth.login("ann", "not the password", expires_in=timedelta(hours=1))
    clock.advance(timedelta(seconds=1))
    with pytest.raises(RateLimited) as caught:
        auth.login("ann", PASSWORD, expires_in=timedelta(hours=1))
    assert caught.value.retry_after == 2
    clock.advance(timedelta(seconds=1, milliseconds=1))
    assert auth.login("ann", PASSWORD, expires_in=timedelta(hours=1)).info.user == "ann"


def test_unknown_users_fail_login_like_wrong_passwords(auth: AuthService) -> None:
    with pytest.raises(Unauthenticated, match="wrong user name or password"):
        auth.login("ghost", "whatever-password", expires_in=timedelta(hours=1))
