"""The registry's entities read back from their JSON (``to_dict``) shapes, for remote mode.

Each function is the inverse of the entity's ``to_dict``; a missing or
malformed field raises ``KeyError``/``TypeError``/``ValueError``, which
:func:`~shipyard.client.http.read_answer` reports as an answer this client
cannot read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shipyard.core.model_manifest import FileEntry
from shipyard.core.signature import Signature
from shipyard.registry.entities import (
    AliasEvent,
    Approval,
    Evaluation,
    ModelVersion,
    RegisteredModel,
)

__all__ = ["approval", "evaluation", "event", "model", "version"]


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def version(data: dict[str, Any]) -> ModelVersion:
    schema = data.get("schema")
    return ModelVersion(
        project=str(data["project"]),
        name=str(data["name"]),
        version=int(data["version"]),
        flavor=str(data["flavor"]),
        files=tuple(FileEntry.from_dict(f) for f in data["files"]),
        manifest_digest=str(data["manifest_digest"]),
        size=int(data["size"]),
        created_at=_when(data["created_at"]),
        created_by=str(data["created_by"]),
        schema=Signature.from_dict(schema) if schema is not None else None,
        signer=data.get("signer"),
        run_id=data.get("run_id"),
        lineage=dict(data.get("lineage") or {}),
        source=str(data.get("source", "directory")),
        description=str(data.get("description", "")),
        aliases=tuple(str(a) for a in data.get("aliases") or ()),
    )


def model(data: dict[str, Any]) -> RegisteredModel:
    latest = data.get("latest_version")
    return RegisteredModel(
        project=str(data["project"]),
        name=str(data["name"]),
        created_at=_when(data["created_at"]),
        created_by=str(data["created_by"]),
        latest_version=int(latest) if latest is not None else None,
        version_count=int(data["version_count"]),
        aliases={str(k): int(v) for k, v in dict(data.get("aliases") or {}).items()},
        card={str(k): str(v) for k, v in dict(data.get("card") or {}).items()},
        updated_at=_time(data.get("updated_at")),
    )


def event(data: dict[str, Any]) -> AliasEvent:
    start, end = data.get("from_version"), data.get("to_version")
    evaluation = data.get("evaluation")
    return AliasEvent(
        seq=int(data["seq"]),
        name=str(data["name"]),
        alias=str(data["alias"]),
        action=str(data["action"]),
        from_version=int(start) if start is not None else None,
        to_version=int(end) if end is not None else None,
        principal=str(data["principal"]),
        time=_when(data["time"]),
        reason=str(data.get("reason", "")),
        evaluation=dict(evaluation) if evaluation is not None else None,
    )


def approval(data: dict[str, Any]) -> Approval:
    return Approval(
        name=str(data["name"]),
        version=int(data["version"]),
        alias=str(data["alias"]),
        principal=str(data["principal"]),
        role=str(data["role"]),
        time=_when(data["time"]),
        note=str(data.get("note", "")),
    )


def evaluation(data: dict[str, Any]) -> Evaluation:
    return Evaluation(
        name=str(data["name"]),
        version=int(data["version"]),
        data_path=str(data["data_path"]),
        data_digest=str(data["data_digest"]),
        rows=int(data["rows"]),
        target=str(data["target"]),
        metrics={str(k): float(v) for k, v in dict(data["metrics"]).items()},
        source=str(data["source"]),
        created_at=_when(data["created_at"]),
        created_by=str(data["created_by"]),
    )
