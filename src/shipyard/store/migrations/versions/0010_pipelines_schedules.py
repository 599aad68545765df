"""pipelines: what the acting scheduler watches and when each pipeline next runs

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shipyard.store.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pipeline_schedules",
        sa.Column("project", sa.String(length=128), nullable=False),
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("schedule", sa.String(length=200), nullable=True),
        sa.Column("problem", sa.String(length=500), nullable=True),
        sa.Column("catch_up", sa.String(length=16), nullable=False),
        sa.Column("watches", sa.JSON(), nullable=False),
        sa.Column("next_tick", shipyard.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_at", shipyard.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=True),
        sa.Column("scheduler", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("project", "pipeline", name=op.f("pk_pipeline_schedules")),
    )


def downgrade() -> None:
    op.drop_table("pipeline_schedules")
