"""Fixtures of the contract suites: ``mode`` runs a test embedded on SQLite, embedded on
PostgreSQL, and against a team server (see sdk_modes.py)."""

from tests.contracts.sdk_modes import mode, shared_bucket, shared_postgres

__all__ = ["mode", "shared_bucket", "shared_postgres"]
