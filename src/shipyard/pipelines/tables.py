"""What the scheduler watches and why pipeline runs started.

``pipeline_triggers``: one row per schedule tick or trigger the scheduler saw.

A row is claimed before its run starts (``pending``), so a scheduler killed
mid-tick finds it after a restart and neither loses nor repeats it: the run
is tagged with the row's id, and a pending row whose run exists is only
marked. ``seen`` rows are cursors that start nothing (a dataset's version
when the scheduler began watching it, a tick skipped after downtime).

``pipeline_schedules``: one row per configured pipeline, rewritten by the acting
scheduler on each pass (its cron, what it watches, the next tick), so the UI and
API can say what will run when, and whether a scheduler is running at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = ["PipelineScheduleRow", "PipelineTriggerRow"]


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


class PipelineScheduleRow(Base):
    __tablename__ = "pipeline_schedules"

    project: Mapped[str] = mapped_column(String(128), primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(100), primary_key=True)
    reference: Mapped[str] = mapped_column(String(300))
    """``MODULE:NAME`` of the ``@pipeline`` function."""
    schedule: Mapped[str | None] = mapped_column(String(200))
    """The cron it follows (the config's, else the pipeline's own); None: triggers only."""
    problem: Mapped[str | None] = mapped_column(String(500))
    """Why the schedule could not be read (the pipeline does not import), if it could not."""
    catch_up: Mapped[str] = mapped_column(String(16))
    watches: Mapped[dict[str, Any]]
    """``{"datasets": […], "monitors": […], "aliases": […]}``."""
    next_tick: Mapped[datetime | None]
    checked_at: Mapped[datetime]
    """When the acting scheduler last passed (its heartbeat)."""
    interval_s: Mapped[float | None] = mapped_column(Float)
    """Seconds between its passes (None: ``--once``, run by cron)."""
    scheduler: Mapped[str] = mapped_column(String(200))
    """``host:pid`` of that scheduler."""
