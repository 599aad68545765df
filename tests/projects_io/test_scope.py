"""Rows are read a page at a time, by key, and every row of the project is read once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

import shipyard
from shipyard.context import open_context
from shipyard.projects_io import scope
from shipyard.projects_io.export import project_tables
from shipyard.projects_io.scope import SPEC_OF, page_rows


def test_pages_cover_every_row_once_whatever_the_key(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(7):
        with shipyard.start_run(name=f"r{i}") as run:
            run.log_params({"a": i, "b": i, "c": i})
            run.log_metric("loss", 1.0, step=i)
    monkeypatch.setattr(scope, "PAGE", 4)  # pages end inside a run's params
    with open_context(workspace) as ctx, ctx.db.read() as session:
        for name in ("runs", "run_params", "run_metric_chunks", "run_latest_metrics"):
            rows = list(page_rows(session, SPEC_OF[name], "demo"))
            table = scope.table_of(name)
            assert len(rows) == len(set(rows))
            assert len(rows) == session.scalar(select(func.count()).select_from(table))
        assert list(page_rows(session, SPEC_OF["runs"], "other")) == []
        lines = list(project_tables(session, "demo", (SPEC_OF["run_params"],)))
    assert len(lines) == 21
