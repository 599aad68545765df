"""How audit entries chain: the hash of one entry, with no database layer imported.

:mod:`shipyard.store.audit_append` is the one writer (over SQLAlchemy's
connection, or the standard library's ``sqlite3`` on the embedded store's fast
path); :mod:`shipyard.store.audit` reads and verifies. Entries are computed
here, so the chain is one chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["GENESIS", "HEAD_ID", "ChainBreak", "Pin", "canonical_detail", "entry_hash"]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""
HEAD_ID = 1
"""The id of the one ``audit_head`` row."""


@dataclass(frozen=True)
class ChainBreak:
    """One place where the audit chain does not hold (``seq`` None: the log as a whole)."""

    seq: int | None
    problem: str


@dataclass(frozen=True)
class Pin:
    """A point of the chain vouched for from outside the database (a signed checkpoint):
    entry ``seq`` had ``hash``, and ``count`` entries led up to it. ``label`` names the
    voucher in messages ("the signed checkpoint of 2026-…")."""

    seq: int
    count: int
    hash: str
    label: str = "the chain's head"


def canonical_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """``detail`` as it reads back from the database (JSON values only)."""
    data: dict[str, Any] = json.loads(json.dumps(dict(detail or {}), default=str))
    return data


def entry_hash(
    prev_hash: str,
    time: datetime,
    principal: str,
    action: str,
    target: str,
    project: str | None,
    source: str,
    detail: Mapping[str, Any],
) -> str:
    """SHA-256 over a canonical JSON form of one entry and its predecessor's hash."""
    payload = [
        prev_hash,
        time.astimezone(UTC).isoformat(timespec="microseconds"),
        principal,
        action,
        target,
        project,
        source,
        detail,
    ]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
