"""A run of a project the caller holds no role in does not exist for it: every lookup by
id or prefix answers as for an unknown id (never a 403 naming the other project)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from shipyard.core.errors import NotFound, PermissionDenied, ShipyardError
from shipyard.core.ids import new_id
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.store.db import Database
from shipyard.tracking.entities import LogBatch, Resources, RunSpec, RunStatus, Writer
from shipyard.tracking.service import TrackingService

MINE, THEIRS = "mine", "other-team"  # 'i' and 'o' never occur in an id: a name found is a leak
ANN = Principal("ann", roles={MINE: Role.CONTRIBUTOR})
"""A contributor of MINE who holds no role in THEIRS."""
WRITER = Writer("h", 1)


@pytest.fixture
def service(database: Database) -> TrackingService:
    return TrackingService(database)


def _run(service: TrackingService, project: str) -> str:
    run_id = service.create_run(LOCAL_OWNER, project, RunSpec("e", "r")).id
    service.log(LOCAL_OWNER, LogBatch(metrics=[(run_id, "loss", 0.5, 0, 1)]))
    return run_id


Lookup = Callable[[TrackingService, Principal, str], Any]
LOOKUPS: dict[str, Lookup] = {
    "get": lambda s, p, r: s.get_run(p, r),
    "get several": lambda s, p, r: s.get_runs(p, [r]),
    "resolve": lambda s, p, r: s.resolve(p, r),
    "metric history": lambda s, p, r: s.metric_history(p, r, "loss"),
    "metric history pages": lambda s, p, r: s.iter_metric_history(p, r, "loss"),
    "metric history page": lambda s, p, r: s.metric_history_page(p, r, "loss"),
    "metric history summary": lambda s, p, r: s.metric_history_summary(p, r, "loss", 10),
    "log": lambda s, p, r: s.log(p, LogBatch(metrics=[(r, "x", 1.0, 0, 1)])),
    "end": lambda s, p, r: s.end_run(p, r, RunStatus.FINISHED, Resources()),
    "resume": lambda s, p, r: s.resume_run(p, r, WRITER),
    "input": lambda s, p, r: s.log_input(p, r, "a.csv", 1, "ab" * 32),
    "artifacts": lambda s, p, r: s.record_artifacts(p, r, [("m.bin", "cd" * 32, 3)]),
    "delete": lambda s, p, r: s.delete_runs(p, [r]),
}


def _answer(call: Callable[[], object]) -> ShipyardError:
    with pytest.raises(ShipyardError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("lookup", LOOKUPS, ids=str)
def test_an_unseen_run_is_answered_as_an_unknown_one(service: TrackingService, lookup: str) -> None:
    theirs, unknown = _run(service, THEIRS), new_id()
    call = LOOKUPS[lookup]
    seen = _answer(lambda: call(service, ANN, theirs))
    missing = _answer(lambda: call(service, ANN, unknown))
    assert isinstance(seen, NotFound)
    assert type(seen) is type(missing)
    assert seen.message.replace(theirs, "ID") == missing.message.replace(unknown, "ID")
    assert seen.hint == missing.hint
    assert THEIRS not in str(seen)


@pytest.mark.parametrize("lookup", ["get", "get several", "resolve"])
def test_a_prefix_finds_only_runs_one_may_see(
    service: TrackingService, lookup: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two runs made in the same millisecond share their first ten characters.
    monkeypatch.setattr("shipyard.tracking.starting.new_id", lambda: new_id(1_790_000_000_000))
    mine, theirs = _run(service, MINE), _run(service, THEIRS)
    prefix = mine[:10]
    assert theirs.startswith(prefix)
    found = LOOKUPS[lookup](service, ANN, prefix)  # not "ambiguous": theirs is not there
    assert mine in str(found)
    # A prefix of theirs only (the ids' random parts may share a character or two).
    apart = next(i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b)
    error = _answer(lambda: LOOKUPS[lookup](service, ANN, theirs[: max(12, apart + 1)]))
    assert isinstance(error, NotFound)
    assert THEIRS not in str(error)


def test_whoever_may_read_the_project_still_gets_403_for_writes(service: TrackingService) -> None:
    run_id = _run(service, THEIRS)
    reader = Principal("vera", roles={THEIRS: Role.VIEWER})
    assert service.get_run(reader, run_id).run.id == run_id
    for lookup in ("log", "end", "resume", "input", "artifacts", "delete"):
        call = LOOKUPS[lookup]
        error = _answer(lambda call=call: call(service, reader, run_id))  # type: ignore[misc]
        assert isinstance(error, PermissionDenied), lookup


def test_heartbeats_skip_unseen_runs_as_unknown_ones(service: TrackingService) -> None:
    mine, theirs = _run(service, MINE), _run(service, THEIRS)
    service.heartbeat(ANN, {theirs: Resources(9.0, 9.0), new_id(): Resources(9.0)}, WRITER)
    service.heartbeat(ANN, {mine: Resources(5.0)}, WRITER)
    runs = {r.id: r for r in service.get_runs(LOCAL_OWNER, [mine, theirs])}
    assert runs[theirs].resources.wall_seconds == 0.0  # untouched
    assert runs[mine].resources.wall_seconds == 5.0


def test_a_nested_run_cannot_name_an_unseen_parent(service: TrackingService) -> None:
    theirs = _run(service, THEIRS)
    error = _answer(lambda: service.create_run(ANN, MINE, RunSpec("e", "c", parent_id=theirs)))
    assert isinstance(error, NotFound)
    assert re.fullmatch(r"no parent run with id '\w+'", error.message)
