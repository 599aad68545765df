"""Monitor results: one row per run of a live monitor (``shipyard monitor run|schedule``).

The row holds what Prometheus gauges and alerting need (``gauges``: drift
scores, share drifted, validation failures, windowed metrics; ``breaches``),
so the ``/metrics`` collector reads one small row per monitor. The full
report (JSON) is an object in the object store, named by ``report_digest``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = ["MonitorResultRow"]


class MonitorResultRow(Base):
    """One run of a monitor over one window of a model's inference log."""

    __tablename__ = "monitor_results"
    __table_args__ = (Index("ix_monitor_results_latest", "project", "monitor", "created_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    project: Mapped[str] = mapped_column(String(128))
    monitor: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(128))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    """``ok``, ``breach`` or ``no_data``."""
    breaches: Mapped[dict[str, Any]]
    """``{"kinds": ["drift", …], "messages": […]}``."""
    rows: Mapped[int] = mapped_column(Integer)
    labelled_rows: Mapped[int] = mapped_column(Integer)
    gauges: Mapped[dict[str, Any]]
    report_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    report_size: Mapped[int] = mapped_column(BigInteger)
    interval_s: Mapped[float | None] = mapped_column(Float)
    """How often the monitor is meant to run (for staleness alerts), when scheduled."""
    notified: Mapped[bool] = mapped_column(Boolean)
    """Whether this run posted webhooks / ran the trigger (repeats are spaced by ``repeat``)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
