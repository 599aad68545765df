"""The one writer of the audit chain: read the head, hash the entry, insert, move the head.

:func:`shipyard.store.audit.record` (through SQLAlchemy) and the embedded store's
``sqlite3`` fast path (``data add``) both append here, so the chain is written one
way whichever connection carries it. How an entry hashes is :mod:`shipyard.core.audit_chain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shipyard.core.audit_chain import GENESIS, HEAD_ID, canonical_detail, entry_hash
from shipyard.store.dbapi import DbApi, json_text

__all__ = ["append_entry"]


def append_entry(
    db: DbApi,
    *,
    principal: str,
    action: str,
    target: str,
    project: str | None,
    source: str,
    detail: Mapping[str, Any] | None,
    now: datetime,
) -> int:
    """Append one entry in ``db``'s transaction; return its sequence number.

    Locks the chain head's row (PostgreSQL; SQLite writers hold the file), which
    serialises audited writers until they commit, so entries chain in commit order.
    """
    head = db.first(_HEAD + db.for_update, {"id": HEAD_ID})
    if head is None:  # a store created before the head row existed
        # Concurrent first writers may all get here: one insert wins, the others wait
        # for it (PostgreSQL) and then queue on the row's lock like everyone else.
        db.rows(_CREATE_HEAD, {"id": HEAD_ID, "genesis": GENESIS})
        head = db.first(_HEAD + db.for_update, {"id": HEAD_ID})
        if head is None:  # pragma: no cover - the insert above or a rival's made it
            raise RuntimeError("the audit head row vanished while being created")
    prev, count = str(head[0]), _int(head[1])
    data = canonical_detail(detail)
    digest = entry_hash(prev, now, principal, action, target, project, source, data)
    inserted = db.first(
        _INSERT_EVENT,
        {"time": db.time(now), "principal": principal, "action": action, "target": target,
         "project": project, "source": source, "detail": json_text(data), "prev_hash": prev,
         "hash": digest},
    )  # fmt: skip
    if inserted is None:  # pragma: no cover - RETURNING always yields the row
        raise RuntimeError("the audit entry's insert returned no sequence number")
    seq = _int(inserted[0])
    db.rows(_MOVE_HEAD, {"id": HEAD_ID, "seq": seq, "hash": digest, "count": count + 1})
    return seq


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"not an integer column value: {value!r}")
    return value


_HEAD = "SELECT last_hash, count FROM audit_head WHERE id = :id"
_CREATE_HEAD = (
    "INSERT INTO audit_head (id, last_seq, last_hash, count) VALUES (:id, 0, :genesis, 0)"
    " ON CONFLICT (id) DO NOTHING"
)
_INSERT_EVENT = (
    "INSERT INTO audit_events"
    " (time, principal, action, target, project, source, detail, prev_hash, hash)"
    " VALUES (:time, :principal, :action, :target, :project, :source, :detail, :prev_hash, :hash)"
    " RETURNING seq"
)
_MOVE_HEAD = (
    "UPDATE audit_head SET last_seq = :seq, last_hash = :hash, count = :count WHERE id = :id"
)
