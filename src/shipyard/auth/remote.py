"""Users, tokens and the audit log of a team server: the HTTP side of :mod:`.api`.

:class:`RemoteAuth` implements :class:`~shipyard.auth.api.AuthApi` with the
same arguments and results as the in-process one; it sends them to the
server's routes, where the token's principal is checked (the ``principal``
argument is not sent: the server knows who is asking).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from shipyard.audit.entry import AuditEntry
from shipyard.audit.report import AuditReport
from shipyard.auth.api import CheckpointWrite
from shipyard.auth.service import CreatedToken, TokenInfo, UserInfo
from shipyard.client.http import read_answer
from shipyard.core.durations import format_duration
from shipyard.core.errors import InvalidInput
from shipyard.core.principal import Principal, Role

if TYPE_CHECKING:
    from shipyard.client.http import ApiClient

__all__ = ["RemoteAuth"]

API = "/api/v1"


class RemoteAuth:
    """:class:`AuthApi` over a team server's HTTP API."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

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
        chosen = Role.ADMIN if admin else role
        body = {
            "name": name,
            "password": password,
            "role": chosen.label if chosen else None,
            "project": project,
        }
        return read_answer(_user, self.client.post(f"{API}/users", body))

    def list_users(self, principal: Principal) -> list[UserInfo]:
        return [read_answer(_user, u) for u in self.client.get(f"{API}/users")]

    def set_disabled(self, principal: Principal, name: str, disabled: bool = True) -> UserInfo:
        verb = "disable" if disabled else "enable"
        return read_answer(_user, self.client.post(f"{API}/users/{quote(name, safe='')}/{verb}"))

    def set_role(self, principal: Principal, name: str, project: str, role: Role | None) -> None:
        path = f"{API}/projects/{quote(project, safe='')}/members/{quote(name, safe='')}"
        self.client.request("PUT", path, json={"role": role.label if role else None})

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
        body = {
            "name": name,
            "user": user,
            "role": role_cap.label if role_cap else None,
            "project": project,
            "expires": format_duration(expires_in) if expires_in is not None else None,
        }
        answer = self.client.post(f"{API}/tokens", body)
        return read_answer(
            lambda a: CreatedToken(info=_token(a["info"]), secret=a["token"]), answer
        )

    def list_tokens(self, principal: Principal, user: str | None = None) -> list[TokenInfo]:
        return [read_answer(_token, t) for t in self.client.get(f"{API}/tokens", user=user)]

    def revoke_token(self, principal: Principal, token_id: str) -> None:
        self.client.request("DELETE", f"{API}/tokens/{quote(token_id, safe='')}")

    def audit_entries(
        self,
        principal: Principal,
        *,
        since: datetime | None = None,
        action: str | None = None,
        who: str | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        answer = self.client.get(
            f"{API}/audit", since=since.isoformat() if since else None, action=action,
            principal=who, limit=limit,
        )  # fmt: skip
        return [read_answer(AuditEntry.from_dict, e) for e in answer]

    def verify_audit(self, principal: Principal, *, exported: Path | None = None) -> AuditReport:
        """The server's check, against the checkpoints it keeps and the key it trusts."""
        if exported is not None:
            raise InvalidInput(
                "--checkpoints reads a local folder, and a team server checks its log itself",
                hint="run it where the database is reachable, with --uri postgresql://…",
            )
        return read_answer(AuditReport.from_dict, self.client.get(f"{API}/audit/verify"))

    def write_checkpoint(self, principal: Principal) -> CheckpointWrite:
        raise InvalidInput(
            "checkpoints are signed where the database and the signing key are; "
            "the team server writes them itself every audit.checkpoint_interval",
            hint="run it on the server's host with --uri postgresql://… and its key",
        )


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _user(data: dict[str, Any]) -> UserInfo:
    return UserInfo(
        name=data["name"],
        admin=bool(data["admin"]),
        disabled=bool(data["disabled"]),
        roles={p: Role.parse(r) for p, r in data["roles"].items()},
        created_at=datetime.fromisoformat(data["created_at"]),
    )


def _token(data: dict[str, Any]) -> TokenInfo:
    return TokenInfo(
        id=data["id"],
        user=data["user"],
        name=data["name"],
        role_cap=Role.parse(data["role_cap"]) if data.get("role_cap") else None,
        project=data.get("project"),
        created_at=datetime.fromisoformat(data["created_at"]),
        expires_at=_time(data.get("expires_at")),
        revoked=bool(data["revoked"]),
        last_used_at=_time(data.get("last_used_at")),
    )


def _created(data: dict[str, Any]) -> CreatedToken:
    return CreatedToken(info=_token(data["info"]), secret=data["token"])
