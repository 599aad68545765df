"""Runs as a pandas DataFrame, the shape ``shipyard.search_runs`` returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shipyard.tracking.entities import Run

if TYPE_CHECKING:
    import pandas

__all__ = ["runs_frame"]

_BASE_COLUMNS = [
    "run_id",
    "experiment",
    "name",
    "status",
    "start_time",
    "end_time",
    "duration",
    "cpu_seconds",
    "cost",
    "parent_id",
    "git_commit",
]


def runs_frame(runs: Sequence[Run]) -> pandas.DataFrame:
    """One row per run; ``params.*``, ``metrics.*`` and ``tags.*`` columns after the base ones.

    Metrics are floats (NaN where a run lacks one); params and tags are text.
    """
    import pandas

    records: list[dict[str, Any]] = []
    params: set[str] = set()
    metrics: set[str] = set()
    tags: set[str] = set()
    for run in runs:
        record: dict[str, Any] = {
            "run_id": run.id,
            "experiment": run.experiment,
            "name": run.name,
            "status": run.status.value,
            "start_time": run.start_time,
            "end_time": run.end_time,
            "duration": run.resources.wall_seconds,
            "cpu_seconds": run.resources.cpu_seconds,
            "cost": run.cost,
            "parent_id": run.parent_id,
            "git_commit": run.git.commit,
        }
        for key, value in run.params.items():
            record[f"params.{key}"] = value
            params.add(key)
        for key, point in run.metrics.items():
            record[f"metrics.{key}"] = point.value
            metrics.add(key)
        for key, value in run.tags.items():
            record[f"tags.{key}"] = value
            tags.add(key)
        records.append(record)
    columns = (
        _BASE_COLUMNS
        + [f"params.{k}" for k in sorted(params)]
        + [f"metrics.{k}" for k in sorted(metrics)]
        + [f"tags.{k}" for k in sorted(tags)]
    )
    frame = pandas.DataFrame.from_records(records, columns=columns)
    for key in metrics:
        frame[f"metrics.{key}"] = frame[f"metrics.{key}"].astype("float64")
    return frame
