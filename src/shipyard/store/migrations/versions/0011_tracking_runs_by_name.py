"""tracking: runs sorted by name read an index (a page of the UI's runs table sorted by name)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 00:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_runs_project_name", "runs", ["project", "name", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_runs_project_name", table_name="runs")
