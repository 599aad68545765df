"""``Database.request_unit``: a request's writes commit together, or not at all."""

from __future__ import annotations

from sqlalchemy import func, select

from shipyard.core.principal import LOCAL_OWNER
from shipyard.store import audit
from shipyard.store.db import Database
from shipyard.store.tables import AuditEventRow


def _entries(db: Database, action: str) -> int:
    with db.read() as session:
        query = select(func.count()).where(AuditEventRow.action == action)
        return int(session.scalar(query) or 0)


def test_writes_in_a_unit_commit_together_and_read_their_own(database: Database) -> None:
    with database.request_unit() as unit:
        for _ in range(2):
            with database.write() as session:
                audit.record(session, LOCAL_OWNER, "unit.both", "t")
        assert _entries(database, "unit.both") == 2  # the unit reads what it wrote
        unit.commit()
    assert _entries(database, "unit.both") == 2


def test_a_unit_rolled_back_keeps_nothing_and_runs_no_commit_callback(database: Database) -> None:
    called: list[str] = []
    with database.request_unit() as unit:
        with database.write() as session:
            audit.record(session, LOCAL_OWNER, "unit.gone", "t")
        database.after_commit(lambda: called.append("yes"))
        assert called == []  # not yet: the unit has not committed
        unit.rollback()
    assert _entries(database, "unit.gone") == 0
    assert called == []


def test_a_failed_write_inside_a_unit_undoes_only_itself(database: Database) -> None:
    with database.request_unit() as unit:
        with database.write() as session:
            audit.record(session, LOCAL_OWNER, "unit.kept", "t")
        try:
            with database.write() as session:
                audit.record(session, LOCAL_OWNER, "unit.undone", "t")
                raise ValueError("the service changed its mind")
        except ValueError:
            pass
        unit.commit()
    assert _entries(database, "unit.kept") == 1
    assert _entries(database, "unit.undone") == 0


def test_after_commit_outside_a_unit_runs_at_once(database: Database) -> None:
    called: list[str] = []
    database.after_commit(lambda: called.append("yes"))
    assert called == ["yes"]


def test_a_unit_left_open_is_rolled_back(database: Database) -> None:
    with database.request_unit(), database.write() as session:
        audit.record(session, LOCAL_OWNER, "unit.open", "t")
    assert _entries(database, "unit.open") == 0


def test_an_id_cached_by_a_rolled_back_unit_is_not_used_later(database: Database) -> None:
    # A server request that created an experiment and was then rolled back (a copy of
    # it got there first) must not leave the experiment's id in the process's cache.
    from shipyard.tracking.entities import RunSpec
    from shipyard.tracking.service import TrackingService

    service = TrackingService(database)
    with database.request_unit() as unit:
        service.create_run(LOCAL_OWNER, "units", RunSpec("fresh-experiment", "first"))
        unit.rollback()
    with database.request_unit() as unit:
        run = service.create_run(LOCAL_OWNER, "units", RunSpec("fresh-experiment", "second"))
        unit.commit()
    assert service.get_run(LOCAL_OWNER, run.id).run.experiment == "fresh-experiment"
