"""Schema migrations: Alembic, driven from code, with migrations inside the package.

Embedded SQLite upgrades itself on first use; a shared PostgreSQL store is
upgraded on purpose with ``shipyard db upgrade`` (and refuses to run on an
older schema). Concurrent upgraders serialise on a lock and re-check, so the
same migration never runs twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from shipyard.core.errors import SchemaOutOfDate
from shipyard.store.db import Database
from shipyard.store.revision import SCHEMA_HEAD

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["SchemaState", "current_revision", "ensure_schema", "head_revision", "upgrade"]

# Any fixed 64-bit number: the key of the PostgreSQL advisory lock upgraders share.
_PG_LOCK_KEY = 0x5348_4950_5941_5244 & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def head_revision() -> str:
    """The newest migration's revision id, read from the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with db.connect() as conn:
        return _current(conn)


def upgrade(db: Database, revision: str = "head") -> SchemaState:
    """Upgrade the database to ``revision`` (default: the newest) and return the new state."""
    from alembic import command

    with db.connect(write=True) as conn:
        _lock(conn)
        config = _alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        current = _current(conn)
    return SchemaState(current=current, head=SCHEMA_HEAD)


def ensure_schema(db: Database, *, auto_upgrade: bool) -> None:
    """Make sure the schema is at head: upgrade when allowed, otherwise raise.

    Raises :class:`SchemaOutOfDate` when the database is behind and
    ``auto_upgrade`` is false, or when it is ahead of this Shipyard.
    """
    current = current_revision(db)
    if current == SCHEMA_HEAD:
        return
    if current is not None and current > SCHEMA_HEAD:
        raise SchemaOutOfDate(
            f"the metadata store at {db.display_uri} is at schema {current}, newer than "
            f"this Shipyard knows ({SCHEMA_HEAD})",
            hint="upgrade Shipyard (pip install -U shipyard)",
        )
    if not auto_upgrade:
        raise SchemaOutOfDate(
            f"the metadata store at {db.display_uri} is at schema {current or 'none'}, "
            f"this Shipyard needs {SCHEMA_HEAD}",
            hint="run `shipyard db upgrade`",
        )
    upgrade(db)


def _current(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def _lock(conn: Connection) -> None:
    # SQLite: the write connection already holds the lock (BEGIN IMMEDIATE).
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "shipyard.store:migrations")
    return config


def new_revision(message: str) -> str:
    """Write a new migration by comparing the tables with a database at head.

    For developers adding a table (docs/DEVELOPING.md); returns the new file's path.
    """
    import tempfile

    from alembic import command

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/autogenerate.db")
        try:
            upgrade(db)
            with db.connect(write=True) as conn:
                config = _alembic_config()
                config.attributes["connection"] = conn
                current = _current(conn)
                rev_id = f"{int(current or 0) + 1:04d}"
                script = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
        finally:
            db.dispose()
    if script is None or isinstance(script, list):
        raise RuntimeError("alembic wrote no single revision")
    return str(script.path)
