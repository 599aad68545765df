"""Reading an import back through Shipyard's SDK, and comparing it with MLflow's view."""

from __future__ import annotations

from typing import Any

import numpy as np

from shipyard.context import Context
from shipyard.runs import get_run, metric_history
from shipyard.tracking.entities import RunDetail

X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.4], [0.9, 0.1]])
"""The rows mlflow_store.py's models predicted on."""


def imported(context: Context) -> dict[str, RunDetail]:
    """Every imported run of the context's project in full, by MLflow's run id."""
    backend = context.tracking
    try:
        page = backend.search_runs(limit=1000)
        return {r.tags["mlflow.run_id"]: get_run(r.id, context=context) for r in page.runs}
    finally:
        backend.close()


def assert_runs_equal(
    context: Context, runs: dict[str, RunDetail], expected: dict[str, Any]
) -> None:
    """Field by field: what MLflow's client read from the store, what Shipyard holds."""
    assert set(runs) == {r["run_id"] for r in expected["runs"]}
    for want in expected["runs"]:
        got = runs[want["run_id"]]
        assert got.run.experiment == want["experiment"]
        assert got.run.name == want["name"]
        assert got.run.status.value == want["status"].lower()
        assert dict(got.run.params) == want["params"]
        for key, value in want["tags"].items():
            assert got.run.tags[key] == value, key
        assert got.run.tags["mlflow.run_id"] == want["run_id"]
        for key, points in want["metrics"].items():
            history = metric_history(got.run.id, key, context=context)
            assert sorted((p.step, p.value, p.timestamp_ms) for p in history) == [
                tuple(p) for p in points
            ], key
        paths = {a.path for a in got.artifacts}
        assert set(want["artifacts"]) <= paths
