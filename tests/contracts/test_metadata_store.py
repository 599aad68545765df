"""Contract of the foundation's metadata layer, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from shipyard.core.errors import InvalidInput, NotFound, PermissionDenied
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.store import audit
from shipyard.store.db import Database
from shipyard.store.projects import ensure_project, get_project, list_projects


def test_ensure_project_creates_once_and_audits_it(database: Database) -> None:
    with database.write() as session:
        first = ensure_project(session, LOCAL_OWNER, "churn")
    with database.write() as session:
        again = ensure_project(session, LOCAL_OWNER, "churn")
    assert first.id == again.id
    with database.read() as session:
        assert [p.name for p in list_projects(session)] == ["churn"]
        events = audit.list_events(session)
    assert [(e.action, e.target, e.principal) for e in events] == [
        ("project.create", "project:churn", "local")
    ]


def test_unknown_project_is_not_found(database: Database) -> None:
    with pytest.raises(NotFound, match="no project named 'nope'"), database.read() as session:
        get_project(session, "nope")


@pytest.mark.parametrize("name", ["", "-lead", "has space", "x" * 101, "semi;colon", "../up"])
def test_bad_project_names_are_refused(database: Database, name: str) -> None:
    with pytest.raises(InvalidInput), database.write() as session:
        ensure_project(session, LOCAL_OWNER, name)


def test_only_someone_who_may_write_into_a_project_creates_it(database: Database) -> None:
    viewer = Principal("bob", roles=MappingProxyType({"fraud": Role.VIEWER}))
    with pytest.raises(PermissionDenied), database.write() as session:
        ensure_project(session, viewer, "fraud")
    with database.read() as session:
        assert list_projects(session) == []
    contributor = Principal("ann", roles=MappingProxyType({"fraud": Role.CONTRIBUTOR}))
    with database.write() as session:
        ensure_project(session, contributor, "fraud")
    with database.read() as session:
        assert [p.name for p in list_projects(session)] == ["fraud"]


def test_audit_events_keep_order_time_and_detail(database: Database) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    with database.write() as session:
        for i in range(5):
            audit.record(
                session, LOCAL_OWNER, "thing.do", f"thing:{i}", detail={"n": i, "ok": True}
            )
    with database.read() as session:
        events = audit.list_events(session, limit=3)
        everything = audit.list_events(session, since=before, action="thing.do")
        assert audit.count_events(session) == 5
    assert [e.target for e in events] == ["thing:4", "thing:3", "thing:2"]
    assert len(everything) == 5
    assert events[0].detail == {"n": 4, "ok": True}
    assert events[0].time.tzinfo is not None
    assert events[0].time >= before
