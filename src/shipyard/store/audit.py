"""The audit log: an append-only, hash-chained record of who did what, when.

Services call :func:`record` inside the same write transaction as the change
itself, so a change and its audit entry commit or fail together. Each entry's
hash covers its fields and the previous entry's hash; :func:`verify` walks the
chain and names any entry that was edited, deleted or inserted afterwards.

The database alone cannot show entries deleted from the end when the head row is
rewritten to match, nor an edit whose every later hash was recomputed: whoever can
write the tables can do both. :func:`check` therefore also takes *pins*, points of the
chain vouched for from outside the database (signed checkpoints, :mod:`shipyard.audit`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shipyard.core.audit_chain import (
    GENESIS,
    HEAD_ID,
    ChainBreak,
    Pin,
    entry_hash,
)
from shipyard.core.principal import Principal
from shipyard.store.audit_append import append_entry
from shipyard.store.base import utcnow
from shipyard.store.dbapi import of_sqlalchemy
from shipyard.store.tables import AuditEventRow, AuditHeadRow

__all__ = [
    "GENESIS",
    "ChainBreak",
    "ChainCheck",
    "Pin",
    "chain_head",
    "check",
    "check_extension",
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
    Plain SQL on the driver (:mod:`~shipyard.store.audit_append`, the one writer of the
    chain, which the sqlite3 fast path shares), no ORM unit of work: runs call this on
    their hot path.
    Returns the entry's sequence number.
    """
    return append_entry(
        of_sqlalchemy(session.connection()), principal=principal.name, action=action,
        target=target, project=project,
        source=source if source is not None else principal.source, detail=detail, now=utcnow(),
    )  # fmt: skip


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
class ChainCheck:
    """What :func:`check` found: the breaks, the entries walked, and how many of them
    are newer than the newest pin (``None`` without pins)."""

    breaks: list[ChainBreak]
    entries: int
    after_newest_pin: int | None


def verify(session: Session) -> list[ChainBreak]:
    """Walk the whole chain in order; return every break found (empty: intact)."""
    return check(session).breaks


def check(session: Session, pins: Sequence[Pin] = ()) -> ChainCheck:
    """Walk the whole chain in order, checking every link, every hash, the head row and
    each pin; a pin catches what the database alone cannot: entries deleted from the end
    with the head rewritten, and every hash recomputed after an edit."""
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS
    count = 0
    waiting = deque(sorted(pins, key=lambda p: p.seq))
    results: list[tuple[Pin, str, int]] = []  # (pin, "ok"|"missing"|"rewritten"|"count", held)
    for row in _in_order(session):
        while waiting and waiting[0].seq < row.seq:
            results.append((waiting.popleft(), "missing", count))
        count += 1
        breaks.extend(_row_breaks(row, expected_prev))
        expected_prev = row.hash
        while waiting and waiting[0].seq == row.seq:
            pin = waiting.popleft()
            state = "rewritten" if row.hash != pin.hash else "count" if count != pin.count else "ok"
            results.append((pin, state, count))
    results.extend((pin, "missing", count) for pin in waiting)
    head = session.get(AuditHeadRow, HEAD_ID)
    if head is not None and head.last_hash != expected_prev:
        missing = head.count - count
        what = f"{missing} entries" if missing > 0 else "entries"
        breaks.append(
            ChainBreak(head.last_seq or None, f"{what} at the end of the log were deleted or added")
        )
    elif head is not None and head.count != count and not breaks:
        # The newest entry is the head's and every link holds, yet the count differs.
        # (With a broken link, that break already names where entries went missing.)
        breaks.append(ChainBreak(None, (
            f"the log holds {count} entries where its head counts {head.count}: entries were "
            "deleted or inserted and the hashes after them recomputed"
        )))  # fmt: skip
    breaks.extend(_pin_breaks(results))
    held_at_newest = max(results, key=lambda r: (r[0].seq, r[2]))[2] if results else None
    return ChainCheck(breaks, count, None if held_at_newest is None else count - held_at_newest)


def _row_breaks(row: AuditEventRow, expected_prev: str) -> list[ChainBreak]:
    found = []
    if row.prev_hash != expected_prev:
        found.append(ChainBreak(row.seq, "the entry before it was deleted, altered or inserted"))
    recomputed = entry_hash(
        row.prev_hash, row.time, row.principal, row.action, row.target,
        row.project, row.source, row.detail,
    )  # fmt: skip
    if recomputed != row.hash:
        found.append(ChainBreak(row.seq, "the entry was edited after it was written"))
    return found


def _pin_breaks(results: Sequence[tuple[Pin, str, int]]) -> list[ChainBreak]:
    """One break per kind of disagreement, at the pin that shows it best."""
    breaks = []
    rewritten = [(i, p, held) for i, (p, state, held) in enumerate(results) if state == "rewritten"]
    if rewritten:  # the oldest one: where rewriting began, after the newest pin still agreeing
        index, pin, held = rewritten[0]
        good = [p for p, state, _ in results[:index] if state == "ok" and p.seq < pin.seq]
        since = f"after #{good[-1].seq}" if good else "before it"
        counted = f"; it counted {pin.count} entries up to here, the log holds {held}"
        breaks.append(ChainBreak(pin.seq, (
            f"the log was rewritten up to this entry: its hash differs from {pin.label} "
            f"(entries {since} were edited, deleted or replaced and every hash after them "
            f"recomputed{counted if held != pin.count else ''})"
        )))  # fmt: skip
    miscounted = [(p, held) for p, state, held in results if state == "count"]
    if miscounted:
        pin, held = miscounted[0]
        what = "deleted" if held < pin.count else "inserted"
        breaks.append(ChainBreak(pin.seq, (
            f"{pin.label} counted {pin.count} entries up to this one and the log holds {held}: "
            f"entries before it were {what}"
        )))  # fmt: skip
    missing = [(p, held) for p, state, held in results if state == "missing"]
    if missing:  # the newest one: how far the log reached when it was signed
        pin, held = missing[-1]
        breaks.append(ChainBreak(pin.seq, (
            f"this entry is gone: entries at the end of the log were deleted ({pin.label} "
            f"counted {pin.count} entries up to #{pin.seq}, the log holds {held} up to there)"
        )))  # fmt: skip
    return breaks


def chain_head(session: Session) -> Pin | None:
    """The newest entry as the head row names it (or as the entries show, in a store
    from before the head row), with the count; None for an empty log."""
    head = session.get(AuditHeadRow, HEAD_ID)
    if head is not None:
        return Pin(head.last_seq, head.count, head.last_hash) if head.count else None
    last = session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(1))
    row = last.first()
    return None if row is None else Pin(row.seq, count_events(session), row.hash)


def check_extension(session: Session, start: Pin | None, end: Pin) -> list[ChainBreak]:
    """Breaks unless the chain up to ``end`` holds and passes through ``start``: walks only
    the entries after ``start`` (a checkpoint writer vouches for nothing it has not seen)."""
    breaks: list[ChainBreak] = []
    after, expected_prev, count = 0, GENESIS, 0
    if start is not None:
        row = session.get(AuditEventRow, start.seq)
        if row is None or row.hash != start.hash:
            return [ChainBreak(start.seq, f"this entry no longer matches {start.label}")]
        held = _count_upto(session, start.seq)
        if held != start.count:
            return [ChainBreak(start.seq, f"{start.label} counted {start.count} entries up to "
                                          f"here, the log holds {held}")]  # fmt: skip
        after, expected_prev, count = start.seq, start.hash, start.count
    last_seq = after
    for row in _in_order(session, after=after, upto=end.seq):
        count += 1
        breaks.extend(_row_breaks(row, expected_prev))
        expected_prev, last_seq = row.hash, row.seq
    if last_seq != end.seq or expected_prev != end.hash or count != end.count:
        breaks.append(ChainBreak(end.seq, "the head does not match the newest entries"))
    return breaks


def _count_upto(session: Session, seq: int) -> int:
    query = select(func.count()).select_from(AuditEventRow).where(AuditEventRow.seq <= seq)
    return session.scalar(query) or 0


def _in_order(
    session: Session, batch: int = 5000, *, after: int = 0, upto: int | None = None
) -> Iterator[AuditEventRow]:
    while True:
        query = (
            select(AuditEventRow)
            .where(AuditEventRow.seq > after)
            .order_by(AuditEventRow.seq)
            .limit(batch)
        )
        if upto is not None:
            query = query.where(AuditEventRow.seq <= upto)
        rows = session.scalars(query).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()
