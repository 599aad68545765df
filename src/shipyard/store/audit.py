"""The audit log: an append-only, hash-chained record of who did what, when.

Services call :func:`record` inside the same write transaction as the change
itself, so a change and its audit entry commit or fail together. Each entry's
hash covers its fields and the previous entry's hash; :func:`verify` walks the
chain and names any entry that was edited, deleted or inserted afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from shipyard.core.audit_chain import GENESIS, HEAD_ID, canonical_detail, entry_hash
from shipyard.core.principal import Principal
from shipyard.store.base import utcnow
from shipyard.store.tables import AuditEventRow, AuditHeadRow
from shipyard.store.upsert import insert_ignoring_conflicts

__all__ = [
    "GENESIS",
    "ChainBreak",
    "count_events",
    "entry_hash",
    "insert_event",
    "list_events",
    "record",
    "verify",
]


def record(
    session: Session,
    principal: Principal,
    action: str,
    target: str,
    *,
    project: str | None = None,
    detail: Mapping[str, Any] | None = None,
    source: str | None = None,
) -> int:
    """Append one entry in ``session``'s transaction (it commits with the change it records).

    ``source`` defaults to the principal's (its client address and token, on a server).
    Takes the chain head's row lock, which serialises audited writers until they commit.
    Plain Core statements, no ORM unit of work: runs call this on their hot path.
    Returns the entry's sequence number.
    """
    source = source if source is not None else principal.source
    conn = session.connection()
    locked = (
        select(AuditHeadRow.last_hash, AuditHeadRow.count)
        .where(AuditHeadRow.id == HEAD_ID)
        .with_for_update()
    )
    head = conn.execute(locked).first()
    if head is None:  # a store created before the head row existed
        # Concurrent first writers may all get here: one insert wins, the others wait
        # for it (PostgreSQL) and then queue on the row's lock like everyone else.
        insert_ignoring_conflicts(
            session,
            AuditHeadRow.__table__,  # type: ignore[arg-type]
            [{"id": HEAD_ID, "last_seq": 0, "last_hash": GENESIS, "count": 0}],
            ["id"],
        )
        head = conn.execute(locked).one()
    prev, count = str(head[0]), int(head[1])
    data = canonical_detail(detail)
    now = utcnow()
    digest = entry_hash(prev, now, principal.name, action, target, project, source, data)
    seq = conn.execute(
        insert(AuditEventRow)
        .values(
            time=now, principal=principal.name, action=action, target=target,
            project=project, source=source, detail=data, prev_hash=prev, hash=digest,
        )
        .returning(AuditEventRow.seq)
    ).scalar_one()  # fmt: skip
    conn.execute(
        update(AuditHeadRow)
        .where(AuditHeadRow.id == HEAD_ID)
        .values(last_seq=seq, last_hash=digest, count=count + 1)
    )
    return int(seq)


insert_event = record
"""The name the tracking hot path uses; the same chained append."""


def list_events(
    session: Session,
    *,
    since: datetime | None = None,
    action: str | None = None,
    principal: str | None = None,
    limit: int = 100,
) -> Sequence[AuditEventRow]:
    """The newest entries first, optionally filtered by time, action or principal."""
    query = select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(limit)
    if since is not None:
        query = query.where(AuditEventRow.time >= since)
    if action is not None:
        query = query.where(AuditEventRow.action == action)
    if principal is not None:
        query = query.where(AuditEventRow.principal == principal)
    return session.scalars(query).all()


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEventRow)) or 0


@dataclass(frozen=True)
class ChainBreak:
    """One place where the audit chain does not hold."""

    seq: int | None
    problem: str


def verify(session: Session) -> list[ChainBreak]:
    """Walk the whole chain in order; return every break found (empty: intact)."""
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS
    count = 0
    for row in _in_order(session):
        count += 1
        if row.prev_hash != expected_prev:
            breaks.append(
                ChainBreak(row.seq, "the entry before it was deleted, altered or inserted")
            )
        recomputed = entry_hash(
            row.prev_hash, row.time, row.principal, row.action, row.target,
            row.project, row.source, row.detail,
        )  # fmt: skip
        if recomputed != row.hash:
            breaks.append(ChainBreak(row.seq, "the entry was edited after it was written"))
        expected_prev = row.hash
    head = session.get(AuditHeadRow, HEAD_ID)
    if head is not None and (head.count != count or head.last_hash != expected_prev):
        missing = head.count - count
        what = f"{missing} entries" if missing > 0 else "entries"
        breaks.append(
            ChainBreak(head.last_seq or None, f"{what} at the end of the log were deleted or added")
        )
    return breaks


def _in_order(session: Session, batch: int = 5000) -> Iterator[AuditEventRow]:
    after = 0
    while True:
        query = (
            select(AuditEventRow)
            .where(AuditEventRow.seq > after)
            .order_by(AuditEventRow.seq)
            .limit(batch)
        )
        rows = session.scalars(query).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()
