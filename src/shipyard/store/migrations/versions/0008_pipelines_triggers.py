"""pipelines: why each scheduled or triggered run started

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shipyard.store.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pipeline_triggers",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("project", sa.String(length=128), nullable=False),
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("point", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=26), nullable=True),
        sa.Column("created_at", shipyard.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_triggers")),
        sa.UniqueConstraint(
            "project",
            "pipeline",
            "source",
            "point",
            name=op.f("uq_pipeline_triggers_project_pipeline_source_point"),
        ),
    )
    op.create_index(
        "ix_pipeline_triggers_latest",
        "pipeline_triggers",
        ["project", "pipeline", "source", "seq"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_pipeline_triggers_latest", table_name="pipeline_triggers")
    op.drop_table("pipeline_triggers")
