"""Persistence: the metadata database (SQLAlchemy + Alembic) and, later, the object store."""
