"""The SDK builds settings and backend once per process, and again when they change."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import shipyard
from shipyard.core.errors import NotFound
from shipyard.core.principal import LOCAL_OWNER
from shipyard.runs import get_run
from shipyard.tracking.entities import RunStatus
from shipyard.workspace.create import init_workspace


def _run(name: str) -> shipyard.tracking.run.ActiveRun:  # type: ignore[name-defined]
    with shipyard.start_run(name=name) as run:
        run.log_metric("loss", 1.0)
    return run


def test_runs_share_one_backend_while_nothing_changes(workspace: Path) -> None:
    first, second = _run("a"), _run("b")
    assert first.backend is second.backend
    assert first.logger is second.logger
    assert get_run(second.id).run.status is RunStatus.FINISHED


def test_a_changed_setting_gets_a_backend_built_from_it(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _run("before")
    monkeypatch.setenv("SHIPYARD_COST_CPU_HOUR", "3")
    after = _run("after")
    assert after.backend is not before.backend
    assert after.backend.context.settings.cost.cpu_hour == 3.0  # type: ignore[attr-defined]
    monkeypatch.setenv("SHIPYARD_PROJECT", "other")
    elsewhere = _run("elsewhere")
    assert elsewhere.backend.project == "other"
    assert get_run(elsewhere.id).run.project == "other"


def test_another_workspace_is_another_store(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = _run("here")
    other = tmp_path / "other"
    other.mkdir()
    init_workspace(other, LOCAL_OWNER, project="demo")
    monkeypatch.chdir(other)
    there = _run("there")
    assert get_run(there.id).run.name == "there"
    with pytest.raises(NotFound):
        get_run(here.id)  # not in this workspace's store
    monkeypatch.chdir(workspace)
    assert get_run(here.id).run.name == "here"


def test_a_run_started_before_a_change_ends_on_its_own_backend(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = shipyard.start_run(name="long")
    monkeypatch.setenv("SHIPYARD_COST_CPU_HOUR", "1")
    with shipyard.start_run(name="child", nested=True) as child:
        child.log_metric("x", 1.0)
    run.log_metric("loss", 0.5)
    run.end()
    assert child.backend is not run.backend
    assert get_run(run.id).run.metrics["loss"].value == 0.5
    assert get_run(child.id).run.parent_id == run.id


def test_a_context_closed_by_its_owner_leaves_the_next_context_working(team_server) -> None:  # type: ignore[no-untyped-def]
    name = f"closed-context-{uuid.uuid4().hex[:8]}"
    first = team_server.context()
    with shipyard.start_run(name=name, context=first) as run:
        run.log_metric("loss", 1.0)
    first.close()  # its connections are gone; an equal context must not reuse them
    second = team_server.context()
    try:
        found = shipyard.search_runs(filter=f"name = '{name}'", context=second)
        again = get_run(run.id, context=second)
    finally:
        second.close()
    assert list(found["run_id"]) == [run.id]
    assert again.run.status is RunStatus.FINISHED
