"""Tracking's values as JSON, both ways: what the server sends and the remote backend reads.

Pure and symmetric: ``*_to_wire`` builds plain JSON-ready dicts, ``*_from_wire``
reads them back into the value objects of :mod:`shipyard.tracking.entities`,
so a run read through a team server equals the run read in-process. JSON has
no NaN or infinity: those travel as the strings ``"nan"``, ``"inf"`` and
``"-inf"``. Anything malformed raises :class:`InvalidInput` naming the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import InvalidInput
from shipyard.tracking.entities import (
    ArtifactRecord,
    Experiment,
    GitState,
    InputRecord,
    LogBatch,
    MetricPoint,
    MetricRow,
    Resources,
    Run,
    RunDetail,
    RunOutcome,
    RunPage,
    RunSpec,
    RunStatus,
    Writer,
)

if TYPE_CHECKING:  # numpy loads with the first history read
    from shipyard.tracking.history import HistoryPage, MetricSummary

__all__ = [
    "batch_from_wire",
    "batch_to_wire",
    "detail_from_wire",
    "detail_to_wire",
    "experiment_from_wire",
    "history_page_from_wire",
    "history_page_to_wire",
    "number_from_wire",
    "number_to_wire",
    "outcome_from_wire",
    "outcome_to_wire",
    "page_from_wire",
    "page_to_wire",
    "points_json",
    "resources_from_wire",
    "run_from_wire",
    "run_to_wire",
    "spec_from_wire",
    "spec_to_wire",
    "summary_from_wire",
    "summary_to_wire",
    "writer_from_wire",
    "writer_to_wire",
]

_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def number_to_wire(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def number_from_wire(value: Any, where: str = "value") -> float:
    """A float from JSON: a number, or ``"nan"``/``"inf"``/``"-inf"``."""
    if isinstance(value, bool):
        raise InvalidInput(f"{where} must be a number, not a boolean")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.lower() in _SPECIAL:
        return _SPECIAL[value.lower()]
    raise InvalidInput(f"{where} must be a number, 'nan', 'inf' or '-inf', not {value!r:.40}")


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{value!r:.40} is not an ISO time") from None


def _required_time(value: Any) -> datetime:
    parsed = _time(value)
    if parsed is None:
        raise InvalidInput("a time is missing")
    return parsed


# -- writing side ------------------------------------------------------------------


def writer_to_wire(writer: Writer | None) -> dict[str, Any] | None:
    return None if writer is None else {"host": writer.host, "pid": writer.pid}


def writer_from_wire(data: Mapping[str, Any] | None) -> Writer | None:
    return None if data is None else Writer(str(data["host"]), int(data["pid"]))


def spec_to_wire(spec: RunSpec) -> dict[str, Any]:
    return {
        "experiment": spec.experiment,
        "name": spec.name,
        "parent_id": spec.parent_id,
        "tags": dict(spec.tags),
        "host": spec.host,
        "pid": spec.pid,
        "command": spec.command,
        "git": spec.git.to_dict() if spec.git is not None else None,
        "environment": dict(spec.environment) if spec.environment is not None else None,
    }


def spec_from_wire(data: Mapping[str, Any]) -> RunSpec:
    git = data.get("git")
    return RunSpec(
        experiment=data["experiment"],
        name=data["name"],
        parent_id=data.get("parent_id"),
        tags=dict(data.get("tags") or {}),
        host=data.get("host") or "",
        pid=data.get("pid"),
        command=data.get("command"),
        git=GitState(**git) if git is not None else None,
        environment=data.get("environment"),
    )


def resources_from_wire(data: Mapping[str, Any]) -> Resources:
    return Resources(
        wall_seconds=float(data.get("wall_seconds", 0.0)),
        cpu_seconds=float(data.get("cpu_seconds", 0.0)),
        peak_rss_bytes=int(data.get("peak_rss_bytes", 0)),
        gpu_seconds=float(data.get("gpu_seconds", 0.0)),
    )


def batch_to_wire(batch: LogBatch) -> dict[str, Any]:
    """Rows as arrays (compact for 20,000 values); non-finite values as strings."""
    return {
        "metrics": [
            [r, k, v if math.isfinite(v) else str(v), s, t] for r, k, v, s, t in batch.metrics
        ],
        "params": [list(row) for row in batch.params],
        "tags": [list(row) for row in batch.tags],
    }


def batch_from_wire(
    metrics: Sequence[Sequence[Any]], params: Sequence[Sequence[Any]], tags: Sequence[Sequence[Any]]
) -> LogBatch:
    """A batch from rows already checked for shape (the route's schema does that)."""
    rows: list[MetricRow] = []
    for i, (run_id, key, value, step, stamp) in enumerate(metrics):
        rows.append((run_id, key, number_from_wire(value, f"metrics[{i}] value"), step, stamp))
    return LogBatch(rows, [(r, k, v) for r, k, v in params], [(r, k, v) for r, k, v in tags])


def outcome_to_wire(outcome: RunOutcome) -> dict[str, Any]:
    return {
        "status": RunStatus(outcome.status).value,
        "resources": outcome.resources.to_dict(),
        "params": dict(outcome.params),
        "metrics": {k: number_to_wire(float(v)) for k, v in outcome.metrics.items()},
        "tags": dict(outcome.tags),
    }


def outcome_from_wire(body: Mapping[str, Any], resources: Resources) -> RunOutcome:
    """An outcome from a body already checked for shape (the route's schema does that)."""
    metrics = {k: number_from_wire(v, f"metric {k!r}") for k, v in body["metrics"].items()}
    return RunOutcome(
        RunStatus(body["status"]), resources, dict(body["params"]), metrics, dict(body["tags"])
    )


# -- reading side ------------------------------------------------------------------


def run_to_wire(run: Run) -> dict[str, Any]:
    """``Run.to_dict()`` plus the timestamps of the latest metric values."""
    return run.to_dict() | {
        "metric_timestamps": {k: m.timestamp_ms for k, m in run.metrics.items()}
    }


def run_from_wire(data: Mapping[str, Any]) -> Run:
    steps = data.get("metric_steps") or {}
    stamps = data.get("metric_timestamps") or {}
    metrics = {
        key: MetricPoint(
            key,
            number_from_wire(value, f"metric {key}"),
            int(steps.get(key, 0)),
            int(stamps.get(key, 0)),
        )
        for key, value in (data.get("metrics") or {}).items()
    }
    git = data.get("git") or {}
    return Run(
        id=data["id"],
        project=data["project"],
        experiment=data["experiment"],
        name=data["name"],
        status=RunStatus(data["status"]),
        start_time=_required_time(data["start_time"]),
        end_time=_time(data.get("end_time")),
        created_by=data["created_by"],
        parent_id=data.get("parent_id"),
        host=data.get("host") or "",
        pid=data.get("pid"),
        command=data.get("command"),
        exit_code=data.get("exit_code"),
        resources=resources_from_wire(data.get("resources") or {}),
        cost=float(data.get("cost", 0.0)),
        git=GitState(
            git.get("commit"), git.get("branch"), git.get("dirty"), git.get("diff_digest")
        ),
        params=dict(data.get("params") or {}),
        metrics=metrics,
        tags=dict(data.get("tags") or {}),
    )


def detail_to_wire(detail: RunDetail) -> dict[str, Any]:
    return detail.to_dict() | run_to_wire(detail.run)


def detail_from_wire(data: Mapping[str, Any]) -> RunDetail:
    return RunDetail(
        run=run_from_wire(data),
        inputs=tuple(
            InputRecord(i["path"], int(i["size"]), i["digest"], _required_time(i["logged_at"]))
            for i in data.get("inputs") or []
        ),
        artifacts=tuple(
            ArtifactRecord(a["path"], a["digest"], int(a["size"]), _required_time(a["created_at"]))
            for a in data.get("artifacts") or []
        ),
        children=tuple(data.get("children") or []),
        environment=data.get("environment"),
    )


def page_to_wire(page: RunPage) -> dict[str, Any]:
    return {"runs": [run_to_wire(r) for r in page.runs], "next_page_token": page.next_page_token}


def page_from_wire(data: Mapping[str, Any]) -> RunPage:
    return RunPage(
        runs=tuple(run_from_wire(r) for r in data.get("runs") or []),
        next_page_token=data.get("next_page_token"),
    )


def history_page_from_wire(key: str, data: Mapping[str, Any]) -> HistoryPage:
    """A page of columns (``history_page_to_wire``); non-finite values came as strings."""
    import numpy as np

    from shipyard.tracking.history import HistoryPage

    steps = np.array(data["steps"], dtype=np.int64)
    stamps = np.array(data["timestamps"], dtype=np.int64)
    # numpy reads "nan", "inf" and "-inf" itself; anything else is a ValueError
    values = np.array(data["values"], dtype=np.float64)
    if not len(steps) == len(stamps) == len(values):
        raise ValueError("history columns of different lengths")
    return HistoryPage(key, steps, stamps, values, next_cursor=data.get("next_cursor"))


def history_page_to_wire(page: HistoryPage) -> dict[str, Any]:
    return page.to_dict()


def summary_to_wire(summary: MetricSummary) -> dict[str, Any]:
    return summary.to_dict()


def summary_from_wire(data: Mapping[str, Any]) -> MetricSummary:
    from shipyard.tracking.history import MetricBucket, MetricSummary

    key = data["key"]

    def point(item: Mapping[str, Any]) -> MetricPoint:
        return MetricPoint(
            key, number_from_wire(item["value"]), int(item["step"]), int(item["timestamp_ms"])
        )

    return MetricSummary(
        key=key,
        start_step=data.get("start_step"),
        end_step=data.get("end_step"),
        bucket_steps=int(data["bucket_steps"]),
        count=int(data["count"]),
        buckets=tuple(
            MetricBucket(
                start_step=int(b["start_step"]),
                end_step=int(b["end_step"]),
                count=int(b["count"]),
                first=point(b["first"]),
                last=point(b["last"]),
                min=point(b["min"]),
                max=point(b["max"]),
            )
            for b in data.get("buckets") or []
        ),
    )


def points_json(page: HistoryPage, indent: str = "") -> str:
    """The page's values as ``MetricPoint.to_dict()`` JSON objects, one per line, joined by
    commas (no brackets): what ``[…]`` of a whole history is made of, written page by page."""
    import numpy as np

    head = indent + '{"key": ' + json.dumps(page.key) + ', "value": '
    values: list[float] = page.values.tolist()
    texts: Iterable[str]
    if bool(np.isfinite(page.values).all()):
        texts = map(repr, values)  # what json.dumps writes for a finite float
    else:
        texts = (json.dumps(number_to_wire(v)) for v in values)
    return ",\n".join(
        f'{head}{text}, "step": {step}, "timestamp_ms": {stamp}}}'
        for text, step, stamp in zip(
            texts, page.steps.tolist(), page.timestamps.tolist(), strict=True
        )
    )


def experiment_from_wire(data: Mapping[str, Any]) -> Experiment:
    return Experiment(
        id=data["id"],
        project=data["project"],
        name=data["name"],
        created_at=_required_time(data["created_at"]),
        run_count=int(data.get("run_count", 0)),
        cost=float(data.get("cost", 0.0)),
        last_run_at=_time(data.get("last_run_at")),
    )
