"""The auth seam: users, roles, tokens and the audit log, in-process or on a team server.

``ctx.auth`` picks one of two implementations: :class:`~shipyard.auth.local.LocalAuth`
over the metadata store (the services, checking the principal here) and
:class:`~shipyard.auth.remote.RemoteAuth` over HTTP (the server checks the
token's principal; the ``principal`` argument is not sent). Callers never ask
which they got.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple, Protocol

from shipyard.audit.entry import AuditEntry
from shipyard.audit.report import AuditReport
from shipyard.audit.writer import WriteResult
from shipyard.auth.service import CreatedToken, TokenInfo, UserInfo
from shipyard.core.principal import Principal, Role

__all__ = ["AuditEntry", "AuthApi", "CheckpointWrite"]


class CheckpointWrite(NamedTuple):
    """What ``audit checkpoint`` did, and where the checkpoints are kept."""

    result: WriteResult
    where: str


class AuthApi(Protocol):
    """What the CLI needs of users, tokens and the audit log, local or remote."""

    def add_user(
        self, principal: Principal, name: str, *, password: str | None = ...,
        admin: bool = ..., project: str | None = ..., role: Role | None = ...,
    ) -> UserInfo: ...  # fmt: skip

    def list_users(self, principal: Principal) -> list[UserInfo]: ...

    def set_disabled(self, principal: Principal, name: str, disabled: bool = ...) -> UserInfo: ...

    def set_role(
        self, principal: Principal, name: str, project: str, role: Role | None
    ) -> None: ...

    def create_token(
        self, principal: Principal, *, name: str, user: str | None = ...,
        role_cap: Role | None = ..., project: str | None = ..., expires_in: timedelta | None = ...,
    ) -> CreatedToken:  # fmt: skip
        """A new token for ``user`` (default: the principal's own user; the local owner,
        who is no user, must name one: :class:`InvalidInput`)."""
        ...

    def list_tokens(self, principal: Principal, user: str | None = ...) -> list[TokenInfo]:
        """``user``'s tokens (default: the principal's own; the local owner must name one)."""
        ...

    def revoke_token(self, principal: Principal, token_id: str) -> None: ...

    def audit_entries(
        self, principal: Principal, *, since: datetime | None = ..., action: str | None = ...,
        who: str | None = ..., limit: int = ...,
    ) -> list[AuditEntry]: ...  # fmt: skip

    def verify_audit(self, principal: Principal, *, exported: Path | None = ...) -> AuditReport:
        """The chain checked against every signed checkpoint kept with the log, and those in
        ``exported`` (a folder of exported copies; only where the database is reachable:
        a team server checks its log itself, and ``exported`` is :class:`InvalidInput`)."""
        ...

    def write_checkpoint(self, principal: Principal) -> CheckpointWrite:
        """Sign and keep a checkpoint of the log's head now, if it moved. Only where the
        database and the signing key are (:class:`InvalidInput` against a team server,
        which writes them itself every ``audit.checkpoint_interval``)."""
        ...
