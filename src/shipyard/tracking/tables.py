"""Tables of experiment tracking.

Shaped for the two hot paths:

* logging: ``run_metric_chunks`` is the append-only history, packed as arrays
  (one row per run and key per flush); ``run_latest_metrics`` keeps one row per
  run and key (upserted per flush), so searches never read the history;
* searching: filters and ordering on metrics and params are point lookups by
  (run_id, key) or range scans on (key, value). Params keep their text and, when
  the text spells a finite number, that number (``value_num``), so
  ``params.C > 0.5`` compares numbers and ``params.model = 'lr'`` compares text.

In ``run_latest_metrics`` a NaN value is stored as NULL (SQLite cannot store
NaN in a REAL column) and read back as NaN; infinities are stored as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shipyard.store.base import Base, utcnow
from shipyard.tracking.entities import LOOKUP_TAG

__all__ = [
    "EnvironmentRow",
    "ExperimentRow",
    "LatestMetricRow",
    "MetricChunkRow",
    "ParamRow",
    "RunArtifactRow",
    "RunInputRow",
    "RunRow",
    "TagRow",
]

_ID = 26
_KEY = 250
_SEQ = BigInteger().with_variant(Integer(), "sqlite")  # SQLite auto-increments INTEGER only
# Rows found by (run_id, key): on SQLite, store them in primary-key order (one B-tree
# probe per lookup instead of two). PostgreSQL ignores the option.
_CLUSTERED = {"sqlite_with_rowid": False}


class ExperimentRow(Base):
    """A named group of runs within a project."""

    __tablename__ = "experiments"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    project: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(250))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("project", "name"),)


class EnvironmentRow(Base):
    """A Python environment (version, platform, packages), stored once per digest."""

    __tablename__ = "environments"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    python: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(200))
    packages: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunRow(Base):
    """One execution of training code, and what it consumed."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    project: Mapped[str] = mapped_column(String(200))
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(250))
    status: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(200))
    start_time: Mapped[datetime] = mapped_column()
    end_time: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int | None] = mapped_column(Integer)
    command: Mapped[str | None] = mapped_column(Text)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    wall_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    cpu_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    gpu_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    peak_rss_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    git_commit: Mapped[str | None] = mapped_column(String(64))
    git_branch: Mapped[str | None] = mapped_column(String(250))
    git_dirty: Mapped[bool | None] = mapped_column(Boolean)
    git_diff_digest: Mapped[str | None] = mapped_column(String(64))
    environment: Mapped[str | None] = mapped_column(ForeignKey("environments.digest"))

    __table_args__ = (
        Index("ix_runs_experiment_id_id", "experiment_id", "id"),
        Index("ix_runs_project_id", "project", "id"),
        # Sorting by name (the UI's column): a page of 50 reads 50 index entries, not a
        # sort of every run of the project.
        Index("ix_runs_project_name", "project", "name", "id"),
        # Partial indexes: only nested runs, and only running ones (what liveness
        # checks read), so most writes of a run leave them untouched.
        Index(
            "ix_runs_parent_id",
            "parent_id",
            sqlite_where=text("parent_id IS NOT NULL"),
            postgresql_where=text("parent_id IS NOT NULL"),
        ),
        Index(
            "ix_runs_running",
            "project",
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )


class ParamRow(Base):
    """A run's parameter: text, plus the number it spells (for numeric filters)."""

    __tablename__ = "run_params"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(_KEY), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    value_num: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        Index("ix_run_params_key_value_num", "key", "value_num"),
        _CLUSTERED,
    )


class TagRow(Base):
    """A run's tag: free text that may change during the run."""

    __tablename__ = "run_tags"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(_KEY), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        # Only the tag looked up by value (a step's cache key: a short hex digest);
        # other tag values may be long text, which a B-tree cannot always hold.
        Index(
            "ix_run_tags_lookup",
            "value",
            sqlite_where=text(f"key = '{LOOKUP_TAG}'"),
            postgresql_where=text(f"key = '{LOOKUP_TAG}'"),
        ),
        _CLUSTERED,
    )


class MetricChunkRow(Base):
    """Logged values of one metric of one run, packed: one row per key per flush.

    ``steps``, ``timestamps`` (ms) and ``values`` are little-endian arrays of
    int64, int64 and float64 (format 1); NaN and infinities are kept as they
    are. Packing makes a flush of 100,000 values a handful of rows, so logging
    costs what the values weigh, not what a row costs.
    """

    __tablename__ = "run_metric_chunks"

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(_KEY))
    format: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    min_step: Mapped[int] = mapped_column(BigInteger)
    max_step: Mapped[int] = mapped_column(BigInteger)
    steps: Mapped[bytes] = mapped_column(LargeBinary)
    timestamps: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_run_metric_chunks_run_id_key_seq", "run_id", "key", "seq"),)


class LatestMetricRow(Base):
    """The latest value of each metric of each run: highest step, then newest time."""

    __tablename__ = "run_latest_metrics"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(_KEY), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        Index("ix_run_latest_metrics_key_value", "key", "value"),
        _CLUSTERED,
    )


class RunInputRow(Base):
    """A file a run read, identified by its BLAKE3 digest at the time (lineage)."""

    __tablename__ = "run_inputs"

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(100))
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_run_inputs_run_id", "run_id"),
        Index("ix_run_inputs_digest", "digest"),
    )


class RunArtifactRow(Base):
    """A file a run produced; its bytes live in the object store under ``digest``."""

    __tablename__ = "run_artifacts"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), primary_key=True)
    digest: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_run_artifacts_digest", "digest"),)
