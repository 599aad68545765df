"""The audit log: an append-only record of who did what, to what, when.

Services call :func:`record` inside the same write transaction as the change
itself, so a change and its audit entry commit or fail together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from shipyard.core.principal import Principal
from shipyard.store.base import utcnow
from shipyard.store.tables import AuditEventRow

__all__ = ["count_events", "insert_event", "list_events", "record"]


def record(
    session: Session,
    principal: Principal,
    action: str,
    target: str,
    *,
    project: str | None = None,
    detail: Mapping[str, Any] | None = None,
    source: str = "local",
) -> AuditEventRow:
    """Add one audit entry to ``session``; it commits with the session's transaction."""
    row = AuditEventRow(
        principal=principal.name,
        action=action,
        target=target,
        project=project,
        source=source,
        detail=dict(detail or {}),
    )
    session.add(row)
    return row


_INSERT = insert(cast(Table, AuditEventRow.__table__))


def insert_event(
    session: Session,
    principal: Principal,
    action: str,
    target: str,
    *,
    project: str | None = None,
    detail: Mapping[str, Any] | None = None,
    source: str = "local",
) -> None:
    """Like :func:`record`, as one plain INSERT without the ORM's bookkeeping.

    For hot paths (a run starting or ending), where the unit of work costs more
    than the statement.
    """
    session.connection().execute(
        _INSERT,
        {
            "time": utcnow(),
            "principal": principal.name,
            "action": action,
            "target": target,
            "project": project,
            "source": source,
            "detail": dict(detail or {}),
        },
    )


def list_events(
    session: Session,
    *,
    since: datetime | None = None,
    action: str | None = None,
    limit: int = 100,
) -> Sequence[AuditEventRow]:
    """The newest entries first, optionally only those after ``since`` or of one ``action``."""
    query = select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(limit)
    if since is not None:
        query = query.where(AuditEventRow.time >= since)
    if action is not None:
        query = query.where(AuditEventRow.action == action)
    return session.scalars(query).all()


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
