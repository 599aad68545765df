"""Tables of users, project memberships, API tokens and login throttling.

Passwords are stored only as argon2id hashes and token secrets only as
SHA-256 digests (they are 256 random bits, so a fast hash is safe there).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = [
    "LoginThrottleRow",
    "MembershipRow",
    "SsoIdentityRow",
    "SsoPendingRow",
    "TokenRow",
    "UserRow",
]


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class MembershipRow(Base):
    """A user's role in one project."""

    __tablename__ = "memberships"

    user_id: Mapped[str] = mapped_column(
        String(26), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    project: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[int] = mapped_column(Integer)


class TokenRow(Base):
    """An API token: ``shy_<id>_<secret>``; only the secret's digest is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(26), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    role_cap: Mapped[int | None] = mapped_column(Integer)
    project: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class LoginThrottleRow(Base):
    """Failed logins per user name (known or not, so that throttling reveals nothing)."""

    __tablename__ = "login_throttle"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()


class SsoIdentityRow(Base):
    """A user's account at an OpenID provider: (issuer, subject) → user.

    ``granted`` is what the provider's groups gave at the last sign-in (project → role
    label), so that the next sign-in takes back exactly what it gave."""

    __tablename__ = "sso_identities"

    issuer: Mapped[str] = mapped_column(String(300), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(26), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    granted: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    last_login_at: Mapped[datetime] = mapped_column(default=utcnow)


class SsoPendingRow(Base):
    """A sign-in started and not finished: a browser's state or a CLI's device handle.

    Keyed by the SHA-256 of the state (or handle) the client holds; a row is deleted by
    the one request that finishes it, so a replayed state finds nothing."""

    __tablename__ = "sso_pending"

    key_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[str | None] = mapped_column(String(100))
    verifier: Mapped[str | None] = mapped_column(String(128))
    device_code: Mapped[str | None] = mapped_column(String(1000))
    expires_at: Mapped[datetime] = mapped_column(index=True)
