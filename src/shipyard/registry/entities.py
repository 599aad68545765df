"""Value objects of the registry: models, versions, alias events, approvals, evaluations.

Pure: no database, no I/O. Each has ``to_dict`` (JSON-ready, stable keys), so
``--json`` output and the HTTP API print the same shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shipyard.core.model_manifest import FileEntry
from shipyard.core.model_ref import ModelRef
from shipyard.core.signature import Signature

__all__ = [
    "CARD_FIELDS",
    "REQUIRED_CARD_FIELDS",
    "AliasEvent",
    "Approval",
    "Evaluation",
    "ModelVersion",
    "RegisteredModel",
    "VersionDraft",
]

CARD_FIELDS: Mapping[str, str] = {
    "overview": "what the model does, in a sentence or two",
    "intended_use": "the uses it was built and evaluated for",
    "users": "who is meant to use it",
    "limitations": "where it is known to fail or was not evaluated",
    "tradeoffs": "accuracy/latency/fairness trade-offs that were made",
    "ethical_considerations": "risks to people, and how they are mitigated",
    "owners": "the team or people responsible for it",
    "license": "an SPDX licence identifier, or 'proprietary'",
}
"""The model card's editable fields (``shipyard models describe``) and what each is for."""

REQUIRED_CARD_FIELDS = ("overview", "intended_use", "limitations", "ethical_considerations")
"""The fields the ``card_complete`` gate requires unless the policy names others."""


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


@dataclass(frozen=True)
class VersionDraft:
    """What registering a version needs: the stored files and where they came from.

    ``files`` lists every stored file of the model directory (the manifest and
    the signature included) with the BLAKE3 digest under which the object
    store holds it.
    """

    flavor: str
    files: tuple[FileEntry, ...]
    manifest_digest: str
    schema: Signature | None = None
    signer: str | None = None
    run_id: str | None = None
    lineage: Mapping[str, Any] = field(default_factory=dict)
    source: str = "directory"
    description: str = ""

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model."""

    project: str
    name: str
    version: int
    flavor: str
    files: tuple[FileEntry, ...]
    manifest_digest: str
    size: int
    created_at: datetime
    created_by: str
    schema: Signature | None = None
    signer: str | None = None
    run_id: str | None = None
    lineage: Mapping[str, Any] = field(default_factory=dict)
    source: str = "directory"
    description: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> ModelRef:
        return ModelRef(self.name, version=self.version)

    @property
    def uri(self) -> str:
        return self.ref.uri

    @property
    def signed(self) -> bool:
        return self.signer is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "name": self.name,
            "version": self.version,
            "uri": self.uri,
            "aliases": list(self.aliases),
            "flavor": self.flavor,
            "size": self.size,
            "signed": self.signed,
            "signer": self.signer,
            "schema": self.schema.to_dict() if self.schema is not None else None,
            "run_id": self.run_id,
            "lineage": dict(self.lineage),
            "source": self.source,
            "description": self.description,
            "created_at": _time(self.created_at),
            "created_by": self.created_by,
            "manifest_digest": self.manifest_digest,
            "files": [f.to_dict() for f in self.files],
        }


@dataclass(frozen=True)
class RegisteredModel:
    """A model name in a project, with its aliases and card fields."""

    project: str
    name: str
    created_at: datetime
    created_by: str
    latest_version: int | None
    version_count: int
    aliases: Mapping[str, int] = field(default_factory=dict)
    card: Mapping[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "name": self.name,
            "latest_version": self.latest_version,
            "version_count": self.version_count,
            "aliases": dict(self.aliases),
            "card": dict(self.card),
            "created_at": _time(self.created_at),
            "created_by": self.created_by,
            "updated_at": _time(self.updated_at),
        }


@dataclass(frozen=True)
class AliasEvent:
    """One move of an alias: who moved it from where to where, when and why.

    ``action`` is ``set``, ``promote`` (through gates; ``evaluation`` holds
    their results), ``rollback`` or ``remove`` (``to_version`` None).
    """

    seq: int
    name: str
    alias: str
    action: str
    from_version: int | None
    to_version: int | None
    principal: str
    time: datetime
    reason: str = ""
    evaluation: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "name": self.name,
            "alias": self.alias,
            "action": self.action,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "principal": self.principal,
            "time": _time(self.time),
            "reason": self.reason,
            "evaluation": dict(self.evaluation) if self.evaluation is not None else None,
        }


@dataclass(frozen=True)
class Approval:
    """A maintainer's approval of a version for an alias."""

    name: str
    version: int
    alias: str
    principal: str
    role: str
    time: datetime
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "principal": self.principal,
            "role": self.role,
            "time": _time(self.time),
            "note": self.note,
        }


@dataclass(frozen=True)
class Evaluation:
    """Metrics of a version measured on a data file (path, BLAKE3 digest and row count)."""

    name: str
    version: int
    data_path: str
    data_digest: str
    rows: int
    target: str
    metrics: Mapping[str, float]
    source: str
    created_at: datetime
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "data_path": self.data_path,
            "data_digest": self.data_digest,
            "rows": self.rows,
            "target": self.target,
            "metrics": {k: _number(v) for k, v in self.metrics.items()},
            "source": self.source,
            "created_at": _time(self.created_at),
            "created_by": self.created_by,
        }
