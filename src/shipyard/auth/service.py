"""Users, memberships, API tokens and logins.

Every method takes the :class:`Principal` asking and checks its role here, so
the CLI (run against the database directly) and the HTTP server obey the same
rules. Every change is audited in its own transaction. Tokens are in
:mod:`.token_service`; who may hand out what is :mod:`.access`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shipyard.audit.entry import AuditEntry
from shipyard.auth.access import get_user as _get_user
from shipyard.auth.access import refuse_restricted
from shipyard.auth.access import require_admin as _require_admin
from shipyard.auth.access import user_roles as _roles
from shipyard.auth.passwords import hash_password, verify_password
from shipyard.auth.tables import LoginThrottleRow, MembershipRow, UserRow
from shipyard.auth.token_service import CreatedToken, TokenInfo, TokenService, issue_token
from shipyard.core.errors import (
    AlreadyExists,
    InvalidInput,
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

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from shipyard.audit.report import AuditReport
    from shipyard.audit.setup import CheckpointSources

__all__ = ["FAILED_LOGIN", "USER_NAME", "AuthService", "CreatedToken", "TokenInfo", "UserInfo"]

FAILED_LOGIN = "wrong user name or password"
"""The one answer to every failed login: no error shape tells which part was wrong."""
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
FREE_FAILURES = 5
MAX_LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class UserInfo:
    name: str
    admin: bool
    disabled: bool
    roles: dict[str, Role]
    created_at: datetime


class AuthService(TokenService):
    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        checkpoints: Callable[[Path | None], CheckpointSources] | None = None,
    ) -> None:
        """``clock`` tells login throttling the time (tests step it instead of waiting);
        ``checkpoints`` finds the signed checkpoints to verify the log against, with those
        exported to a folder (``shipyard.audit.setup.checkpoint_sources``)."""
        self.db = db
        self.clock = clock
        self.checkpoints = checkpoints

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
        # A password unlocks the user's full power: a narrow token may not set one.
        refuse_restricted(principal, "change a password")
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

    # -- audit log -----------------------------------------------------------------------

    def audit_entries(
        self,
        principal: Principal,
        *,
        since: datetime | None = None,
        action: str | None = None,
        who: str | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Audit entries, newest first (admins only: the log names every user's actions)."""
        _require_admin(principal, "read the audit log")
        with self.db.read() as session:
            rows = audit.list_events(session, since=since, action=action, principal=who,
                                     limit=limit)  # fmt: skip
            return [AuditEntry.from_row(row) for row in rows]

    def verify_audit(self, principal: Principal, *, exported: Path | None = None) -> AuditReport:
        """The audit chain checked link by link and against every signed checkpoint the
        service's ``checkpoints`` finds (and those in ``exported``), for admins; without
        it the chain alone, and the report says what that cannot see."""
        from shipyard.audit.verify import verify_log

        _require_admin(principal, "verify the audit log")
        sources = None  # looked for only for an admin
        if self.checkpoints is not None:
            sources = self.checkpoints(exported)
        with self.db.read() as session:
            if sources is None:
                return verify_log(session, [], None)
            return verify_log(session, sources.found, sources.trusted)

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
        now = self.clock()
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
                return issue_token(
                    session, who, user, name="login", source=source,
                    expires_at=utcnow() + expires_in,
                )  # fmt: skip
            if throttle is None:
                throttle = LoginThrottleRow(name=key, failures=0)
                session.add(throttle)
            throttle.failures = (throttle.failures or 0) + 1
            if throttle.failures >= FREE_FAILURES:
                lock = timedelta(seconds=2 ** (throttle.failures - FREE_FAILURES))
                throttle.locked_until = now + min(lock, MAX_LOCK)
            audit.record(session, who, "auth.login_failed", f"user:{name}", source=source)
        raise Unauthenticated(FAILED_LOGIN)


def _check_user_name(name: str) -> None:
    if not USER_NAME.match(name):
        raise InvalidInput(
            f"invalid user name {name!r}",
            hint="use up to 100 letters, digits, '.', '_', '@' or '-'",
        )


def _user_info(session: Session, user: UserRow) -> UserInfo:
    return UserInfo(user.name, user.admin, user.disabled, _roles(session, user), user.created_at)
