"""tracking: run tags that are looked up by value (a pipeline step's cache key), indexed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 20:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ONLY = sa.text("key = 'shipyard.step.key'")


def upgrade() -> None:
    op.create_index(
        "ix_run_tags_lookup",
        "run_tags",
        ["value"],
        unique=False,
        sqlite_where=_ONLY,
        postgresql_where=_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ix_run_tags_lookup", table_name="run_tags")
