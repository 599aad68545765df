"""Users, memberships, API tokens and logins.

Every method takes the :class:`Principal` asking and checks its role here, so
the CLI (run against the database directly) and the HTTP server obey the same
rules. Every change is audited in its own transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shipyard.auth.passwords import hash_password, verify_password
from shipyard.auth.tables import LoginThrottleRow, MembershipRow, TokenRow, UserRow
from shipyard.auth.tokens import digest_secret, new_token, parse_token, secret_matches
from shipyard.core.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from shipyard.core.ids import new_id
from shipyard.core.principal import Principal, Role
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.projects import check_project_name
from shipyard.store.tables import AuditEventRow

__all__ = ["AuthService", "CreatedToken", "TokenInfo", "UserInfo"]

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
FREE_FAILURES = 5
MAX_LOCK = timedelta(minutes=15)
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class UserInfo:
    name: str
    admin: bool
    disabled: bool
    roles: dict[str, Role]
    created_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    id: str
    user: str
    name: str
    role_cap: Role | None
    project: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked: bool
    last_used_at: datetime | None


@dataclass(frozen=True)
class CreatedToken:
    """A new token; ``secret`` is the only time the full token is ever available."""

    info: TokenInfo
    secret: str

    def __repr__(self) -> str:
        return f"CreatedToken(info={self.info!r}, secret='***')"


class AuthService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- users ---------------------------------------------------------------------------

    def add_user(
        self,
        principal: Principal,
        name: str,
        *,
        password: str | None = None,
        admin: bool = False,
        project: str | None = None,
        role: Role | None = None,
    ) -> UserInfo:
        """Create a user, optionally an admin or with a role in one project (admin only)."""
        _require_admin(principal, "add users")
        _check_user_name(name)
        if role is not None and role is not Role.ADMIN and project is None:
            raise InvalidInput("a project role needs a project", hint="pass --project NAME")
        hashed = hash_password(password) if password is not None else None
        with self.db.write() as session:
            if session.scalar(select(UserRow).where(UserRow.name == name)) is not None:
                raise AlreadyExists(f"user {name!r} exists already")
            user = UserRow(
                id=new_id(),
                name=name,
                password_hash=hashed,
                admin=admin or role is Role.ADMIN,
                created_by=principal.name,
            )
            session.add(user)
            session.flush()
            if project is not None and role is not None and role is not Role.ADMIN:
                session.add(
                    MembershipRow(user_id=user.id, project=check_project_name(project), role=role)
                )
            audit.record(
                session, principal, "user.add", f"user:{name}",
                project=project, detail={"admin": user.admin, "role": role.label if role else None},
            )  # fmt: skip
            return _user_info(session, user)

    def list_users(self, principal: Principal) -> list[UserInfo]:
        _require_admin(principal, "list users")
        with self.db.read() as session:
            users = session.scalars(select(UserRow).order_by(UserRow.name)).all()
            return [_user_info(session, u) for u in users]

    def set_disabled(self, principal: Principal, name: str, disabled: bool = True) -> UserInfo:
        _require_admin(principal, "disable users")
        with self.db.write() as session:
            user = _get_user(session, name)
            user.disabled = disabled
            action = "user.disable" if disabled else "user.enable"
            audit.record(session, principal, action, f"user:{name}")
            return _user_info(session, user)

    def set_password(self, principal: Principal, name: str, password: str) -> None:
        if principal.name != name:
            _require_admin(principal, "change another user's password")
        hashed = hash_password(password)
        with self.db.write() as session:
            _get_user(session, name).password_hash = hashed
            audit.record(session, principal, "user.password", f"user:{name}")

    def set_role(self, principal: Principal, name: str, project: str, role: Role | None) -> None:
        """Give ``name`` a role in ``project`` (None removes it); maintainers of it or admins."""
        check_project_name(project)
        principal.require(Role.MAINTAINER, project, "manage the project's members")
        if role is Role.ADMIN:
            raise InvalidInput(
                "admin is not a project role", hint="use `shipyard users add --admin`"
            )
        if role is not None and not principal.has(role, project):
            raise PermissionDenied(f"{principal.name} may not grant a role above its own")
        with self.db.write() as session:
            user = _get_user(session, name)
            session.execute(
                delete(MembershipRow).where(
                    MembershipRow.user_id == user.id, MembershipRow.project == project
                )
            )
            if role is not None:
                session.add(MembershipRow(user_id=user.id, project=project, role=int(role)))
            audit.record(
                session, principal, "member.set", f"user:{name}", project=project,
                detail={"role": role.label if role else None},
            )  # fmt: skip

    # -- tokens --------------------------------------------------------------------------

    def create_token(
        self,
        principal: Principal,
        *,
        name: str,
        user: str | None = None,
        role_cap: Role | None = None,
        project: str | None = None,
        expires_in: timedelta | None = None,
    ) -> CreatedToken:
        """Create an API token for ``user`` (default: the principal's own user)."""
        owner = user or principal.name
        if owner != principal.name:
            _require_admin(principal, "create tokens for other users")
        if project is not None:
            check_project_name(project)
        if expires_in is not None and expires_in <= timedelta(0):
            raise InvalidInput("a token's lifetime must be positive")
        with self.db.write() as session:
            return _issue_token(
                session, principal, _get_user(session, owner), name=name, role_cap=role_cap,
                project=project, expires_in=expires_in,
            )  # fmt: skip

    def list_tokens(self, principal: Principal, user: str | None = None) -> list[TokenInfo]:
        owner = user or principal.name
        if owner != principal.name:
            _require_admin(principal, "list other users' tokens")
        with self.db.read() as session:
            user_row = _get_user(session, owner)
            rows = session.scalars(
                select(TokenRow).where(TokenRow.user_id == user_row.id).order_by(TokenRow.id)
            ).all()
            return [_token_info(r, owner) for r in rows]

    def revoke_token(self, principal: Principal, token_id: str) -> None:
        with self.db.write() as session:
            row = session.get(TokenRow, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id!r}")
            owner = session.get(UserRow, row.user_id)
            if owner is None or owner.name != principal.name:
                _require_admin(principal, "revoke other users' tokens")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            audit.record(session, principal, "token.revoke", f"token:{token_id}")

    def authenticate(self, token: str) -> Principal:
        """The principal a presented token stands for; raises :class:`Unauthenticated`."""
        parts = parse_token(token)
        with self.db.read() as session:
            row = session.get(TokenRow, parts.id)
            if row is None or not secret_matches(parts.secret, row.secret_sha256):
                raise Unauthenticated("the API token is not valid", hint="create a new one")
            now = utcnow()
            if row.revoked_at is not None:
                raise Unauthenticated("the API token was revoked", hint="create a new one")
            if row.expires_at is not None and row.expires_at <= now:
                raise Unauthenticated("the API token has expired", hint="create a new one")
            user = session.get(UserRow, row.user_id)
            if user is None or user.disabled:
                raise Unauthenticated("the token's user is disabled")
            principal = _principal_for(session, user, row)
            stale = row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION
        if stale:
            with self.db.write() as session:
                fresh = session.get(TokenRow, parts.id)
                if fresh is not None:
                    fresh.last_used_at = now
        return principal

    # -- audit log -----------------------------------------------------------------------

    def audit_entries(
        self,
        principal: Principal,
        *,
        since: datetime | None = None,
        action: str | None = None,
        who: str | None = None,
        limit: int = 100,
    ) -> list[AuditEventRow]:
        """Audit entries, newest first (admins only: the log names every user's actions)."""
        _require_admin(principal, "read the audit log")
        with self.db.read() as session:
            return list(
                audit.list_events(session, since=since, action=action, principal=who, limit=limit)
            )

    def verify_audit(self, principal: Principal) -> tuple[list[audit.ChainBreak], int]:
        """Breaks found in the audit chain, and the number of entries checked."""
        _require_admin(principal, "verify the audit log")
        with self.db.read() as session:
            return audit.verify(session), audit.count_events(session)

    # -- logins --------------------------------------------------------------------------

    def login(
        self, name: str, password: str, *, source: str = "local", expires_in: timedelta
    ) -> CreatedToken:
        """Check a password and issue a session token; repeated failures are throttled."""
        key = name.strip().lower()[:100]
        with self.db.read() as session:
            throttle = session.get(LoginThrottleRow, key)
            locked_until = throttle.locked_until if throttle is not None else None
            user = session.scalar(select(UserRow).where(UserRow.name == name))
            stored = user.password_hash if user is not None else None
        now = utcnow()
        if locked_until is not None and locked_until > now:
            wait = int((locked_until - now).total_seconds()) + 1
            raise RateLimited(f"too many failed logins for {name!r}", retry_after=wait,
                              hint=f"try again in {wait} s")  # fmt: skip
        ok = verify_password(password, stored) and user is not None and not user.disabled
        who = Principal(name=name if user is not None else "anonymous", kind="user")
        with self.db.write() as session:
            throttle = session.get(LoginThrottleRow, key, with_for_update=True)
            if ok and user is not None:
                if throttle is not None:
                    session.delete(throttle)
                audit.record(session, who, "auth.login", f"user:{name}", source=source)
                return _issue_token(
                    session, who, user, name="login", source=source, expires_in=expires_in
                )  # fmt: skip
            if throttle is None:
                throttle = LoginThrottleRow(name=key, failures=0)
                session.add(throttle)
            throttle.failures = (throttle.failures or 0) + 1
            if throttle.failures >= FREE_FAILURES:
                lock = timedelta(seconds=2 ** (throttle.failures - FREE_FAILURES))
                throttle.locked_until = now + min(lock, MAX_LOCK)
            audit.record(session, who, "auth.login_failed", f"user:{name}", source=source)
        raise Unauthenticated("wrong user name or password")


def _issue_token(
    session: Session,
    principal: Principal,
    user: UserRow,
    *,
    name: str,
    role_cap: Role | None = None,
    project: str | None = None,
    expires_in: timedelta | None = None,
    source: str | None = None,
) -> CreatedToken:
    if user.disabled:
        raise PermissionDenied(f"user {user.name!r} is disabled")
    parts = new_token()
    row = TokenRow(
        id=parts.id,
        user_id=user.id,
        name=name[:200],
        secret_sha256=digest_secret(parts.secret),
        role_cap=int(role_cap) if role_cap is not None else None,
        project=project,
        created_at=utcnow(),
        expires_at=utcnow() + expires_in if expires_in is not None else None,
    )
    session.add(row)
    audit.record(
        session, principal, "token.create", f"token:{parts.id}", project=project, source=source,
        detail={"user": user.name, "role_cap": role_cap.label if role_cap else None},
    )  # fmt: skip
    return CreatedToken(info=_token_info(row, user.name), secret=str(parts))


def _require_admin(principal: Principal, action: str) -> None:
    if not principal.admin:
        raise PermissionDenied(f"{principal.name} may not {action}", hint="this needs an admin")


def _check_user_name(name: str) -> None:
    if not USER_NAME.match(name):
        raise InvalidInput(
            f"invalid user name {name!r}",
            hint="use up to 100 letters, digits, '.', '_', '@' or '-'",
        )


def _get_user(session: Session, name: str) -> UserRow:
    user = session.scalar(select(UserRow).where(UserRow.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r}", hint="list users with `shipyard users ls`")
    return user


def _roles(session: Session, user: UserRow) -> dict[str, Role]:
    rows = session.scalars(select(MembershipRow).where(MembershipRow.user_id == user.id)).all()
    return {m.project: Role(m.role) for m in rows}


def _user_info(session: Session, user: UserRow) -> UserInfo:
    return UserInfo(user.name, user.admin, user.disabled, _roles(session, user), user.created_at)


def _token_info(row: TokenRow, owner: str) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        user=owner,
        name=row.name,
        role_cap=Role(row.role_cap) if row.role_cap is not None else None,
        project=row.project,
        created_at=row.created_at or utcnow(),
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
        last_used_at=row.last_used_at,
    )


def _principal_for(session: Session, user: UserRow, token: TokenRow) -> Principal:
    """The user's roles, narrowed to the token's project and capped at its role."""
    cap = Role(token.role_cap) if token.role_cap is not None else None
    if user.admin:
        if token.project is not None:
            return Principal(
                name=user.name, kind="token",
                roles=MappingProxyType({token.project: cap or Role.ADMIN}),
            )  # fmt: skip
        if cap is None or cap is Role.ADMIN:
            return Principal(name=user.name, kind="token", admin=True)
        return Principal(name=user.name, kind="token", everywhere=cap)
    roles = _roles(session, user)
    if token.project is not None:
        roles = {p: r for p, r in roles.items() if p == token.project}
    if cap is not None:
        roles = {p: min(r, cap) for p, r in roles.items()}
    return Principal(name=user.name, kind="token", roles=MappingProxyType(roles))
