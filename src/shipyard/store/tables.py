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

__all__ = ["AuditEventRow", "ProjectRow"]


class ProjectRow(Base):
    """A project groups datasets, runs and models; a workspace logs into one."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class AuditEventRow(Base):
    """One thing someone did: who, what, to which target, when, from where."""

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

    __table_args__ = (
        Index("ix_audit_events_time", "time"),
        Index("ix_audit_events_target", "target"),
    )
