"""Why pipeline runs started: one row per schedule tick or trigger the scheduler saw.

A row is claimed before its run starts (``pending``), so a scheduler killed
mid-tick finds it after a restart and neither loses nor repeats it: the run
is tagged with the row's id, and a pending row whose run exists is only
marked. ``seen`` rows are cursors that start nothing (a dataset's version
when the scheduler began watching it, a tick skipped after downtime).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = ["PipelineTriggerRow"]


class PipelineTriggerRow(Base):
    __tablename__ = "pipeline_triggers"
    __table_args__ = (
        UniqueConstraint("project", "pipeline", "source", "point"),
        Index("ix_pipeline_triggers_latest", "project", "pipeline", "source", "seq"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    """Claim order in the project (only the scheduler-lock holder claims)."""
    project: Mapped[str] = mapped_column(String(128))
    pipeline: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(300))
    """``schedule``, ``dataset:NAME``, ``monitor:NAME`` or ``alias:MODEL@ALIAS``."""
    point: Mapped[str] = mapped_column(String(100))
    """The tick (ISO time, UTC), dataset version, monitor result id or alias version."""
    state: Mapped[str] = mapped_column(String(16))
    """``pending`` (claimed, run not known to have started), ``started`` or ``seen``."""
    reason: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
