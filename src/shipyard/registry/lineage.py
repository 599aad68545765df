"""Lineage of a version: the run that made it, its code, data, params and metrics.

A snapshot is stored with the version when it is registered, so the lineage
survives the run's deletion. Metrics logged after registration (the usual
``log_model`` then ``log_metrics``) are read from the run while it exists:
:func:`version_metrics` prefers the run's current values.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import NotFound

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.registry.entities import ModelVersion
    from shipyard.tracking.entities import RunDetail

__all__ = ["current_lineage", "run_lineage", "version_inputs", "version_metrics"]


def run_lineage(detail: RunDetail) -> dict[str, Any]:
    """The lineage snapshot of a version logged by the run ``detail``."""
    run = detail.run
    return {
        "run": {
            "id": run.id,
            "name": run.name,
            "experiment": run.experiment,
            "status": run.status.value,
            "created_by": run.created_by,
            "start_time": run.start_time.isoformat(),
            "command": run.command,
        },
        "git": run.git.to_dict(),
        "params": dict(run.params),
        "metrics": {k: _json_number(m.value) for k, m in run.metrics.items()},
        "tags": dict(run.tags),
        "inputs": [{"path": i.path, "digest": i.digest, "size": i.size} for i in detail.inputs],
        "environment": {
            "python": (detail.environment or {}).get("python"),
            "platform": (detail.environment or {}).get("platform"),
        },
    }


def current_lineage(ctx: Context, version: ModelVersion) -> dict[str, Any]:
    """The stored snapshot, brought up to date from the run while it exists.

    ``metrics`` become floats; ``run_exists`` says whether the run is still there.
    """
    lineage = dict(version.lineage)
    detail = _run(ctx, version.run_id) if version.run_id is not None else None
    if detail is not None:
        fresh = run_lineage(detail)
        lineage = lineage | {k: fresh[k] for k in ("run", "metrics", "inputs", "tags")}
    lineage["metrics"] = {str(k): float(v) for k, v in dict(lineage.get("metrics") or {}).items()}
    lineage["run_exists"] = detail is not None
    return lineage


def version_metrics(ctx: Context, version: ModelVersion) -> dict[str, float]:
    """The version's metrics: its run's latest values, or the snapshot if the run is gone."""
    snapshot = {str(k): float(v) for k, v in dict(version.lineage.get("metrics") or {}).items()}
    if version.run_id is None:
        return snapshot
    detail = _run(ctx, version.run_id)
    if detail is None:
        return snapshot
    return snapshot | {k: m.value for k, m in detail.run.metrics.items()}


def version_inputs(ctx: Context, version: ModelVersion) -> list[dict[str, Any]]:
    """Files the version's run read (path, digest, size), from the run or the snapshot."""
    if version.run_id is not None:
        detail = _run(ctx, version.run_id)
        if detail is not None:
            return [{"path": i.path, "digest": i.digest, "size": i.size} for i in detail.inputs]
    return [dict(i) for i in version.lineage.get("inputs") or []]


def _run(ctx: Context, run_id: str) -> RunDetail | None:
    try:
        return ctx.tracking.get_run(run_id)  # a team server's record of it, remotely
    except NotFound:
        return None


def _json_number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)
