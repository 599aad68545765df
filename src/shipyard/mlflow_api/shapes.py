"""Shipyard's entities in MLflow's JSON shapes (what MLflow's client parses back).

Pure: no I/O. Times are milliseconds since the epoch, statuses upper case,
metrics and params lists of ``{"key", "value"}``. A run's artifact location is
``mlflow-artifacts:/<experiment id>/<run id>/artifacts``, the path MLflow's own
server gives, served by :mod:`.artifacts`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shipyard.registry.entities import ModelVersion, RegisteredModel
from shipyard.tracking.entities import Experiment, Run, RunStatus

__all__ = [
    "STATUS_FROM_MLFLOW",
    "experiment_json",
    "millis",
    "model_json",
    "number",
    "run_info",
    "run_json",
    "run_uri",
    "version_json",
]

STATUS_FROM_MLFLOW = {
    "RUNNING": RunStatus.RUNNING,
    "SCHEDULED": RunStatus.RUNNING,
    "FINISHED": RunStatus.FINISHED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.KILLED,
}


def millis(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def number(value: float) -> float | str:
    """MLflow's JSON spells NaN and infinities as strings (protobuf's JSON mapping)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def run_uri(experiment_id: str, run_id: str) -> str:
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"


def experiment_json(experiment: Experiment) -> dict[str, Any]:
    created = millis(experiment.created_at)
    return {
        "experiment_id": experiment.id,
        "name": experiment.name,
        "artifact_location": f"mlflow-artifacts:/{experiment.id}",
        "lifecycle_stage": "active",
        "creation_time": created,
        "last_update_time": millis(experiment.last_run_at) or created,
        "tags": [],
    }


def run_info(run: Run, experiment_id: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "run_uuid": run.id,
        "run_id": run.id,
        "experiment_id": experiment_id,
        "run_name": run.name,
        "user_id": run.created_by,
        "status": run.status.value.upper(),
        "start_time": millis(run.start_time),
        "artifact_uri": run_uri(experiment_id, run.id),
        "lifecycle_stage": "active",
    }
    if run.end_time is not None:
        info["end_time"] = millis(run.end_time)
    return info


def run_json(
    run: Run, experiment_id: str, datasets: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """A run as ``runs/get`` and ``runs/search`` answer it."""
    metrics = [
        {"key": k, "value": number(m.value), "timestamp": m.timestamp_ms, "step": m.step}
        for k, m in run.metrics.items()
    ]
    tags = dict(run.tags)
    tags.setdefault("mlflow.runName", run.name)
    tags.setdefault("mlflow.user", run.created_by)
    if run.parent_id is not None:
        tags.setdefault("mlflow.parentRunId", run.parent_id)
    return {
        "info": run_info(run, experiment_id),
        "data": {
            "metrics": metrics,
            "params": [{"key": k, "value": v} for k, v in run.params.items()],
            "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())],
        },
        "inputs": {"dataset_inputs": list(datasets)},
    }


def model_json(model: RegisteredModel, latest: Sequence[ModelVersion] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": model.name,
        "creation_timestamp": millis(model.created_at),
        "last_updated_timestamp": millis(model.updated_at or model.created_at),
        "description": model.card.get("overview", ""),
        "aliases": [{"alias": a, "version": str(v)} for a, v in sorted(model.aliases.items())],
        "tags": [],
    }
    if latest:
        body["latest_versions"] = [version_json(v) for v in latest]
    return body


def version_json(version: ModelVersion, source: str = "", model_id: str = "") -> dict[str, Any]:
    """A model version; ``source`` and ``model_id`` are what MLflow registered it from."""
    created = millis(version.created_at)
    body: dict[str, Any] = {
        "name": version.name,
        "version": str(version.version),
        "creation_timestamp": created,
        "last_updated_timestamp": created,
        "user_id": version.created_by,
        "current_stage": "None",
        "description": version.description,
        "source": source or f"models:/{version.name}/{version.version}",
        "status": "READY",
        "aliases": list(version.aliases),
        "tags": [],
    }
    if version.run_id is not None:
        body["run_id"] = version.run_id
    if model_id:
        body["model_id"] = model_id
    return body
