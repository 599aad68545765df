"""The inference log's index: one row per Parquet batch written to the object store.

Monitoring finds a model's records for a time window with one indexed query
(``model``, ``kind``, overlapping ``first_time``/``last_time``), then reads only
those objects. The records themselves never enter the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow

__all__ = ["InferenceLogBatchRow"]


class InferenceLogBatchRow(Base):
    """A Parquet file of inference-log records (``kind`` predictions) or labels (feedback)."""

    __tablename__ = "inference_log_batches"
    __table_args__ = (Index("ix_inference_log_window", "project", "model", "kind", "last_time"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    project: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    first_time: Mapped[datetime]
    last_time: Mapped[datetime]
    rows: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
