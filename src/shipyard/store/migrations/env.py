"""Alembic environment: runs on the connection Shipyard hands over."""

from __future__ import annotations

from alembic import context

from shipyard.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Shipyard migrations run through `shipyard db upgrade`, not bare alembic")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
