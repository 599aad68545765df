"""The schema revision this Shipyard needs, apart from the tables: checking a database
against it at start-up then imports neither Alembic nor every domain's tables."""

from __future__ import annotations

__all__ = ["SCHEMA_HEAD"]

SCHEMA_HEAD = "0012"
"""Revision id of the newest migration."""
