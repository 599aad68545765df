"""Single sign-on: sign-ins in progress, and validated claims into a Shipyard session.

A sign-in in progress (a browser's ``state``, a CLI's device handle) is a row of
``sso_pending`` keyed by the SHA-256 of the value the client holds; the request
that finishes it deletes it, so a replayed state or handle finds nothing.

:func:`sign_in` maps the provider's groups to project roles through
``[server.oidc.roles]``. The safer rule is taken for groups that map to nothing:
the sign-in is refused (unless the user is a Shipyard admin), so that a provider
account outside the configured groups never even gets a user row; a known user who
left every mapped group loses what the groups gave, and is refused. Users are
found by (issuer, subject), never by name alone: on the first sign-in a new user
is created under the name claim, or an existing user *without a password* (one an
admin created for this purpose) is linked; a local user with a password is never
taken over. Memberships the groups gave at the last sign-in are taken back and
the new ones set, at each sign-in; roles an admin set by hand on other projects
stay.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shipyard.auth.service import USER_NAME
from shipyard.auth.tables import MembershipRow, SsoIdentityRow, SsoPendingRow, UserRow
from shipyard.auth.token_service import CreatedToken, issue_token
from shipyard.core.errors import Conflict, PermissionDenied, Unauthenticated
from shipyard.core.ids import new_id
from shipyard.core.oidc_config import OidcConfig
from shipyard.core.principal import Principal, Role
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database

__all__ = ["PENDING_TTL", "Pending", "begin", "new_secret", "peek", "sign_in", "take"]

PENDING_TTL = timedelta(minutes=10)
"""How long a started sign-in may take before it must be started again."""
STALE = "this sign-in was finished already or has expired"
NO_ROLE = "your groups at the OpenID provider give no role in any Shipyard project"
NO_ROLE_HINT = "ask an admin to map one of your groups in [server.oidc.roles]"


@dataclass(frozen=True)
class Pending:
    kind: str
    nonce: str | None
    verifier: str | None
    device_code: str | None


def new_secret() -> str:
    """256 random bits, URL-safe (states, nonces, PKCE verifiers, device handles)."""
    return secrets.token_urlsafe(32)


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def begin(
    db: Database,
    key: str,
    kind: str,
    *,
    nonce: str | None = None,
    verifier: str | None = None,
    device_code: str | None = None,
    ttl: timedelta = PENDING_TTL,
) -> None:
    """Remember a sign-in started under ``key`` (the state or handle the client holds)."""
    now = utcnow()
    with db.write() as session:
        session.execute(delete(SsoPendingRow).where(SsoPendingRow.expires_at < now))
        session.add(SsoPendingRow(key_sha256=_key(key), kind=kind, nonce=nonce,
                                  verifier=verifier, device_code=device_code,
                                  expires_at=now + ttl))  # fmt: skip


def take(db: Database, key: str, kind: str) -> Pending:
    """Finish the sign-in started under ``key``: it is gone afterwards (replays fail)."""
    with db.write() as session:
        row = session.get(SsoPendingRow, _key(key), with_for_update=True)
        if row is None or row.kind != kind:
            raise Unauthenticated(STALE, hint="start the sign-in again")
        pending = Pending(row.kind, row.nonce, row.verifier, row.device_code)
        expired = row.expires_at < utcnow()
        session.delete(row)
    if expired:
        raise Unauthenticated(STALE, hint="start the sign-in again")
    return pending


def peek(db: Database, key: str, kind: str) -> Pending:
    """The sign-in started under ``key``, left in place (a device sign-in being polled)."""
    with db.read() as session:
        row = session.get(SsoPendingRow, _key(key))
        if row is None or row.kind != kind or row.expires_at < utcnow():
            raise Unauthenticated(STALE, hint="start the sign-in again")
        return Pending(row.kind, row.nonce, row.verifier, row.device_code)


def sign_in(
    db: Database,
    config: OidcConfig,
    claims: dict[str, Any],
    *,
    source: str,
    expires_in: timedelta,
) -> CreatedToken:
    """A session token for the user the validated ``claims`` name (see the module)."""
    subject = str(claims["sub"])[:255]
    groups = _groups(claims.get(config.groups_claim))
    grants = {p: Role.parse(r) for p, r in config.grants(groups).items()}
    name = claims.get(config.username_claim)
    with db.write() as session:
        identity = session.get(SsoIdentityRow, (config.issuer, subject), with_for_update=True)
        if identity is not None:
            user = session.get(UserRow, identity.user_id)
        else:
            user = _unlinked_user(session, config, name)  # None: a new user is made below
        refused = not grants and not (user is not None and user.admin)
        if refused and (identity is None or user is None):
            raise PermissionDenied(NO_ROLE, hint=NO_ROLE_HINT)  # nobody to create or update
        if user is None:
            user = _new_user(session, config, str(name))
        if identity is None:
            identity = SsoIdentityRow(issuer=config.issuer, subject=subject, user_id=user.id,
                                      granted={})  # fmt: skip
            session.add(identity)
        if user.disabled:
            raise PermissionDenied(f"user {user.name!r} is disabled")
        _refresh(session, user, identity, grants)
        who = Principal(name=user.name, kind="user")
        action = "auth.sso_refused" if refused else "auth.sso_login"
        audit.record(
            session, who, action, f"user:{user.name}", source=source,
            detail={"issuer": config.issuer, "roles": identity.granted},
        )  # fmt: skip
        if not refused:
            return issue_token(session, who, user, name="sso", source=source,
                               expires_at=utcnow() + expires_in)  # fmt: skip
    # Left every mapped group: what its groups gave is taken back (committed), then refused.
    raise PermissionDenied(NO_ROLE, hint=NO_ROLE_HINT)


def _refresh(
    session: Session, user: UserRow, identity: SsoIdentityRow, grants: dict[str, Role]
) -> None:
    """Take back what the last sign-in's groups gave (unless changed since), set the new."""
    for project, label in (identity.granted or {}).items():
        session.execute(delete(MembershipRow).where(
            MembershipRow.user_id == user.id, MembershipRow.project == project,
            MembershipRow.role == int(Role.parse(label)),
        ))  # fmt: skip
    for project, role in grants.items():
        session.execute(delete(MembershipRow).where(
            MembershipRow.user_id == user.id, MembershipRow.project == project))  # fmt: skip
        session.add(MembershipRow(user_id=user.id, project=project, role=int(role)))
    identity.granted = {p: r.label for p, r in grants.items()}
    identity.last_login_at = utcnow()


def _groups(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [g for g in value if isinstance(g, str)]
    return []


def _unlinked_user(session: Session, config: OidcConfig, name: Any) -> UserRow | None:
    """The user a first sign-in links to: one made without a password and not linked yet;
    None when nobody has the name."""
    if not isinstance(name, str) or not USER_NAME.match(name):
        raise Unauthenticated(
            f"the ID token's {config.username_claim!r} claim is not a usable user name",
            hint="set server.oidc.username_claim to a claim such as preferred_username or email",
        )
    user = session.scalar(select(UserRow).where(UserRow.name == name))
    if user is None:
        return None
    linked = session.scalar(select(SsoIdentityRow).where(SsoIdentityRow.user_id == user.id))
    if user.password_hash is not None or linked is not None:
        raise Conflict(
            f"a Shipyard user named {name!r} exists already and is not linked to this"
            " provider account",
            hint="an admin can create the user without a password to let SSO link it",
        )
    return user


def _new_user(session: Session, config: OidcConfig, name: str) -> UserRow:
    user = UserRow(id=new_id(), name=name, password_hash=None, admin=False, disabled=False,
                   created_by=f"sso:{config.issuer}"[:200])  # fmt: skip
    session.add(user)
    session.flush()
    audit.record(session, Principal(name=name, kind="user"), "user.add", f"user:{name}",
                 detail={"admin": False, "role": None, "sso": config.issuer})  # fmt: skip
    return user
