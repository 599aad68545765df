"""API tokens: create (within the creator's bounds), list, revoke, authenticate.

A mixin of :class:`~shipyard.auth.service.AuthService`. The ceiling on what a
new token may hold is :func:`shipyard.auth.access.check_mint`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shipyard.auth.access import (
    check_mint,
    get_user,
    refuse_restricted,
    require_admin,
    token_power,
)
from shipyard.auth.tables import TokenRow, UserRow
from shipyard.auth.tokens import digest_secret, new_token, parse_token, secret_matches
from shipyard.core.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from shipyard.core.principal import Principal, Role, TokenBounds
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.projects import check_project_name

__all__ = ["TOKEN_NAME_MAX", "CreatedToken", "TokenInfo", "TokenService", "issue_token"]

LAST_USED_RESOLUTION = timedelta(minutes=1)
TOKEN_NAME_MAX = 200
"""A token's name is kept up to this many characters (the HTTP API refuses longer)."""


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


class TokenService:
    """The token side of the auth service (needs ``self.db``)."""

    db: Database

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
        """Create an API token for ``user`` (default: the principal's own user).

        The token may not exceed its creator (see :func:`check_mint`); with no
        ``expires_in``, a token created by an expiring token expires with it.
        """
        owner = _owner(principal, user, "say whose token this is")
        if owner != principal.name:
            require_admin(principal, "create tokens for other users")
        if project is not None:
            check_project_name(project)
        if expires_in is not None and expires_in <= timedelta(0):
            raise InvalidInput("a token's lifetime must be positive")
        asked = utcnow() + expires_in if expires_in is not None else None
        with self.db.write() as session:
            user_row = get_user(session, owner)
            expires_at = check_mint(principal, token_power(session, user_row, role_cap, project),
                                    asked)  # fmt: skip
            return issue_token(
                session, principal, user_row, name=name, role_cap=role_cap,
                project=project, expires_at=expires_at,
            )  # fmt: skip

    def list_tokens(self, principal: Principal, user: str | None = None) -> list[TokenInfo]:
        owner = _owner(principal, user, "say whose tokens to list")
        if owner != principal.name:
            require_admin(principal, "list other users' tokens")
        with self.db.read() as session:
            user_row = get_user(session, owner)
            rows = session.scalars(
                select(TokenRow).where(TokenRow.user_id == user_row.id).order_by(TokenRow.id)
            ).all()
            return [token_info(r, owner) for r in rows]

    def revoke_token(self, principal: Principal, token_id: str) -> None:
        """Revoke a token: one's own, anyone's for an admin; a narrow token only itself."""
        with self.db.write() as session:
            row = session.get(TokenRow, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id!r}")
            owner = session.get(UserRow, row.user_id)
            if owner is None or owner.name != principal.name:
                require_admin(principal, "revoke other users' tokens")
            if principal.token is None or principal.token.id != token_id:
                refuse_restricted(principal, "revoke other tokens")
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
            cap = Role(row.role_cap) if row.role_cap is not None else None
            bounds = TokenBounds(row.id, cap, row.project, row.expires_at)
            principal = token_power(session, user, cap, row.project, bounds)
            stale = row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION
        if stale:
            with self.db.write() as session:
                fresh = session.get(TokenRow, parts.id)
                if fresh is not None:
                    fresh.last_used_at = now
        return principal


def _owner(principal: Principal, user: str | None, ask: str) -> str:
    """The user a token call is about: ``user``, else the principal's own user (the
    local owner of an embedded workspace is nobody's user, so it must say)."""
    if user:
        return user
    if principal.kind == "local":
        raise InvalidInput(ask, hint="pass --user NAME")
    return principal.name


def issue_token(
    session: Session,
    principal: Principal,
    user: UserRow,
    *,
    name: str,
    role_cap: Role | None = None,
    project: str | None = None,
    expires_at: datetime | None = None,
    source: str | None = None,
) -> CreatedToken:
    """Store a new token for ``user`` (checks done by the caller) and audit it."""
    if user.disabled:
        raise PermissionDenied(f"user {user.name!r} is disabled")
    parts = new_token()
    row = TokenRow(
        id=parts.id,
        user_id=user.id,
        name=name[:TOKEN_NAME_MAX],
        secret_sha256=digest_secret(parts.secret),
        role_cap=int(role_cap) if role_cap is not None else None,
        project=project,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(row)
    audit.record(
        session, principal, "token.create", f"token:{parts.id}", project=project, source=source,
        detail={"user": user.name, "role_cap": role_cap.label if role_cap else None},
    )  # fmt: skip
    return CreatedToken(info=token_info(row, user.name), secret=str(parts))


def token_info(row: TokenRow, owner: str) -> TokenInfo:
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
