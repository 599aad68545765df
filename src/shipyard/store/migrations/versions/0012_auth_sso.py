"""auth: single sign-on identities and sign-ins in progress

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 02:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shipyard.store.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sso_identities",
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=26), nullable=False),
        sa.Column("granted", sa.JSON(), nullable=False),
        sa.Column("last_login_at", shipyard.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sso_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issuer", "subject", name=op.f("pk_sso_identities")),
    )
    op.create_index(op.f("ix_sso_identities_user_id"), "sso_identities", ["user_id"])
    op.create_table(
        "sso_pending",
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=True),
        sa.Column("verifier", sa.String(length=128), nullable=True),
        sa.Column("device_code", sa.String(length=1000), nullable=True),
        sa.Column("expires_at", shipyard.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_sha256", name=op.f("pk_sso_pending")),
    )
    op.create_index(op.f("ix_sso_pending_expires_at"), "sso_pending", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sso_pending_expires_at"), table_name="sso_pending")
    op.drop_table("sso_pending")
    op.drop_index(op.f("ix_sso_identities_user_id"), table_name="sso_identities")
    op.drop_table("sso_identities")
