"""Tables of the foundation: projects and the audit log.

Domains add their own ``tables.py`` next to their service; every module that
defines tables must be imported by :mod:`shipyard.store.schema` so that
Alembic sees it (see docs/DEVELOPING.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = ["AuditEventRow", "AuditHeadRow", "ProjectRow"]


class ProjectRow(Base):
    """A project groups datasets, runs and models; a workspace logs into one."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class AuditEventRow(Base):
    """One thing someone did: who, what, to which target, when, from where.

    ``hash`` covers the entry's fields and ``prev_hash``, the hash of the entry
    before it, so editing or deleting any entry breaks the chain (see audit.py).
    """

    __tablename__ = "audit_events"

    # SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    time: Mapped[datetime] = mapped_column(default=utcnow)
    principal: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(500))
    project: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200), default="local")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_time", "time"),
        Index("ix_audit_events_target", "target"),
    )


class AuditHeadRow(Base):
    """The newest entry of the audit chain: one row, locked by every writer.

    Writers take this row's lock so that entries chain in commit order even on
    PostgreSQL with many writers; ``count`` and ``last_hash`` let ``audit
    verify`` notice entries deleted from the end.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
