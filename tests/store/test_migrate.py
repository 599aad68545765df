from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from shipyard.core.errors import SchemaOutOfDate
from shipyard.store.db import Database
from shipyard.store.migrate import current_revision, ensure_schema, head_revision, upgrade
from shipyard.store.schema import SCHEMA_HEAD, metadata


def test_schema_head_constant_matches_the_newest_migration() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_tables_and_migrations_agree(database: Database) -> None:
    """A table changed without a migration (or the reverse) fails here, on both backends."""
    with database.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    assert current_revision(db) is None
    assert upgrade(db).up_to_date
    assert upgrade(db).current == SCHEMA_HEAD
    db.dispose()


def test_embedded_sqlite_upgrades_itself_but_a_shared_store_refuses(
    tmp_path: Path, postgres_url: str
) -> None:
    sqlite = Database(f"sqlite:///{tmp_path / 'x.db'}")
    ensure_schema(sqlite, auto_upgrade=True)
    assert current_revision(sqlite) == SCHEMA_HEAD
    sqlite.dispose()

    postgres = Database(postgres_url)
    with postgres.connect(write=True) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    try:
        with pytest.raises(SchemaOutOfDate) as caught:
            ensure_schema(postgres, auto_upgrade=False)
        assert "shipyard db upgrade" in caught.value.one_line()
    finally:
        with postgres.connect(write=True) as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": SCHEMA_HEAD})
        postgres.dispose()


def test_a_schema_newer_than_this_shipyard_is_refused(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade(db)
    with db.connect(write=True) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaOutOfDate) as caught:
        ensure_schema(db, auto_upgrade=True)
    assert "pip install -U shipyard" in caught.value.one_line()
    db.dispose()
