from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from shipyard.core.errors import Conflict, InvalidInput, SchemaOutOfDate, Unavailable
from shipyard.store.db import Busy, Database


def test_unreachable_postgres_is_unavailable_with_the_password_hidden() -> None:
    db = Database("postgresql://ann:s3cret@127.0.0.1:1/nothing")
    with pytest.raises(Unavailable) as caught:
        db.ping()
    line = caught.value.one_line()
    assert "postgresql://ann:***@127.0.0.1:1/nothing" in line
    assert "s3cret" not in line
    assert "Connection refused" in line or "connection refused" in line.lower()
    assert "SHIPYARD_URI" in line


def test_missing_postgres_database_suggests_creating_it(postgres_url: str) -> None:
    db = Database(postgres_url.rsplit("/", 1)[0] + "/no_such_db_for_shipyard")
    with pytest.raises(Unavailable) as caught:
        db.ping()
    assert "createdb" in caught.value.one_line()


@pytest.mark.parametrize(
    ("uri", "message"),
    [("mysql://x@y/z", "unsupported metadata store 'mysql'"), ("::::", "cannot parse")],
)
def test_uris_shipyard_cannot_use_are_invalid_input(uri: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Database(uri)


def test_sqlite_in_a_missing_folder_is_unavailable(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    with pytest.raises(Unavailable) as caught:
        db.ping()
    assert "folder exists" in caught.value.one_line()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 60_000
    db.dispose()


def test_a_missing_table_means_the_schema_is_out_of_date(database: Database) -> None:
    with pytest.raises(SchemaOutOfDate) as caught, database.read() as s:
        s.execute(text("SELECT * FROM no_such_table_here"))
    assert "shipyard db upgrade" in caught.value.one_line()


def test_a_failed_write_leaves_nothing_behind(database: Database) -> None:
    with database.write() as session:
        session.execute(
            text(
                "INSERT INTO projects (id, name, description, created_at, created_by)"
                " VALUES ('a', 'p', '', CURRENT_TIMESTAMP, 'me')"
            )
        )
    with pytest.raises(Conflict), database.write() as session:
        session.execute(
            text(
                "INSERT INTO projects (id, name, description, created_at, created_by)"
                " VALUES ('b', 'q', '', CURRENT_TIMESTAMP, 'me')"
            )
        )
        session.execute(
            text(
                "INSERT INTO projects (id, name, description, created_at, created_by)"
                " VALUES ('c', 'p', '', CURRENT_TIMESTAMP, 'me')"
            )
        )
    with database.read() as session:
        names = session.execute(text("SELECT name FROM projects")).scalars().all()
    assert names == ["p"]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.parametrize("value", ["nul\x00inside", 2**40])
def test_values_the_database_cannot_hold_are_invalid_input(
    database: Database, value: object
) -> None:
    with pytest.raises(InvalidInput, match="cannot hold a value"), database.write() as session:
        session.execute(
            text("INSERT INTO login_throttle (name, failures) VALUES (:name, :failures)"),
            {
                "name": value if isinstance(value, str) else "x",
                "failures": value if isinstance(value, int) else 1,
            },
        )


def _opposite_order_writers(db: Database, tries: int) -> tuple[dict[int, int], list[Exception]]:
    """Two writers lock two rows in opposite orders, so PostgreSQL aborts one of them."""
    with db.connect(write=True) as conn:
        conn.execute(text("CREATE TABLE deadlock_probe (id int PRIMARY KEY, n int NOT NULL)"))
        conn.execute(text("INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)"))
    both_hold_one = threading.Barrier(2, timeout=10)
    attempts = {1: 0, 2: 0}
    failures: list[Exception] = []

    def writer(first: int, second: int) -> None:
        try:
            for attempt in db.write_attempts(tries=tries):
                with attempt as session:
                    attempts[first] += 1
                    bump = text("UPDATE deadlock_probe SET n = n + 1 WHERE id = :id")
                    session.execute(bump, {"id": first})
                    if attempts[first] == 1:
                        both_hold_one.wait()  # now each waits for the other's row
                    session.execute(bump, {"id": second})
        except Exception as error:  # reported to the test, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=writer, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return attempts, failures


@pytest.fixture
def probe_db(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    yield db
    with db.connect(write=True) as conn:
        conn.execute(text("DROP TABLE IF EXISTS deadlock_probe"))
    db.dispose()


def test_a_deadlocked_write_is_retried_until_both_writers_commit(probe_db: Database) -> None:
    attempts, failures = _opposite_order_writers(probe_db, tries=3)
    assert failures == []
    assert sorted(attempts.values()) == [1, 2]  # exactly one was aborted and tried again
    with probe_db.read() as session:
        counts = session.execute(text("SELECT n FROM deadlock_probe ORDER BY id")).all()
    assert [row[0] for row in counts] == [2, 2]  # both committed, once each


def test_a_deadlock_on_the_last_try_is_a_clear_busy_error(probe_db: Database) -> None:
    attempts, failures = _opposite_order_writers(probe_db, tries=1)
    assert attempts == {1: 1, 2: 1}
    assert len(failures) == 1
    assert isinstance(failures[0], Busy)
    line = failures[0].one_line()
    assert "collided with concurrent ones" in line
    assert "retry" in line
    with probe_db.read() as session:
        counts = session.execute(text("SELECT n FROM deadlock_probe ORDER BY id")).all()
    assert [row[0] for row in counts] == [1, 1]  # the aborted writer left nothing behind
