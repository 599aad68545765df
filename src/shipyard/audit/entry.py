"""One audit entry as every side shows it: the service, the HTTP API and the client.

The same value object whether the entry was read from the database or from a
team server, so callers of ``audit_entries`` never see an ORM row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipyard.store.tables import AuditEventRow

__all__ = ["AuditEntry"]


@dataclass(frozen=True)
class AuditEntry:
    """One stored audit entry (its hash-chain fields stay in the store)."""

    seq: int
    time: datetime
    principal: str
    action: str
    target: str
    project: str | None
    source: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: AuditEventRow) -> AuditEntry:
        return cls(
            seq=row.seq, time=row.time, principal=row.principal, action=row.action,
            target=row.target, project=row.project, source=row.source,
            detail=dict(row.detail or {}),
        )  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEntry:
        return cls(
            seq=int(data["seq"]),
            time=datetime.fromisoformat(data["time"]),
            principal=data["principal"],
            action=data["action"],
            target=data["target"],
            project=data.get("project"),
            source=data["source"],
            detail=dict(data.get("detail") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "time": self.time.isoformat(), "principal": self.principal,
            "action": self.action, "target": self.target, "project": self.project,
            "source": self.source, "detail": self.detail,
        }  # fmt: skip
