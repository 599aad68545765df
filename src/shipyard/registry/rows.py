"""Reading registry rows: finding a model, resolving a reference, rows into entities.

Shared by the services (``service.py``, ``aliases.py``); every function takes an
open session and checks nothing about who is asking (the services do).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shipyard.core.errors import NotFound
from shipyard.core.model_manifest import FileEntry
from shipyard.core.model_ref import ModelRef
from shipyard.core.signature import Signature
from shipyard.registry.entities import Evaluation, ModelVersion, RegisteredModel
from shipyard.registry.tables import (
    EvaluationRow,
    ModelAliasRow,
    ModelVersionRow,
    RegisteredModelRow,
)

__all__ = [
    "aliases_by_version",
    "evaluation_entity",
    "find_model",
    "model_entity",
    "resolve_number",
    "version_entity",
]


def find_model(
    session: Session, project: str, name: str, *, lock: bool = False
) -> RegisteredModelRow:
    """The model row, optionally locked for update; :class:`NotFound` otherwise."""
    query = select(RegisteredModelRow).where(
        RegisteredModelRow.project == project, RegisteredModelRow.name == name
    )
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound(
            f"no model named {name!r} in project {project!r}",
            hint="list models with `shipyard models ls`",
        )
    return row


def resolve_number(session: Session, model: RegisteredModelRow, ref: ModelRef) -> int:
    """The version number ``ref`` names; :class:`NotFound` for an unset alias or no versions."""
    if ref.version is not None:
        return ref.version
    if ref.alias is None or ref.is_latest:
        if not model.last_version:
            raise NotFound(f"model {model.name!r} has no versions yet")
        return int(model.last_version)
    number = session.scalar(
        select(ModelAliasRow.version).where(
            ModelAliasRow.model_id == model.id, ModelAliasRow.alias == ref.alias
        )
    )
    if number is None:
        raise NotFound(
            f"model {model.name!r} has no alias {ref.alias!r}",
            hint=f"set it with `shipyard models alias set {model.name} {ref.alias} VERSION`",
        )
    return int(number)


def version_entity(
    project: str, name: str, row: ModelVersionRow, aliases: Sequence[str]
) -> ModelVersion:
    files = tuple(FileEntry.from_dict(f) for f in (row.files or {}).get("files", []))
    return ModelVersion(
        project=project,
        name=name,
        version=row.version,
        flavor=row.flavor,
        files=files,
        manifest_digest=row.manifest_digest,
        size=row.size,
        created_at=row.created_at,
        created_by=row.created_by,
        schema=Signature.from_dict(row.schema) if row.schema else None,
        signer=row.signer,
        run_id=row.run_id,
        lineage=dict(row.lineage or {}),
        source=row.source,
        description=row.description,
        aliases=tuple(sorted(aliases)),
    )


def aliases_by_version(session: Session, model_id: str) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for alias, version in session.execute(
        select(ModelAliasRow.alias, ModelAliasRow.version).where(ModelAliasRow.model_id == model_id)
    ):
        found.setdefault(int(version), []).append(str(alias))
    return found


def model_entity(session: Session, row: RegisteredModelRow) -> RegisteredModel:
    aliases = {
        str(a): int(v)
        for a, v in session.execute(
            select(ModelAliasRow.alias, ModelAliasRow.version)
            .where(ModelAliasRow.model_id == row.id)
            .order_by(ModelAliasRow.alias)
        )
    }
    count = session.scalar(
        select(func.count()).select_from(ModelVersionRow).where(ModelVersionRow.model_id == row.id)
    )
    return RegisteredModel(
        project=row.project,
        name=row.name,
        created_at=row.created_at,
        created_by=row.created_by,
        latest_version=row.last_version or None,
        version_count=int(count or 0),
        aliases=aliases,
        card={str(k): str(v) for k, v in (row.card or {}).items()},
        updated_at=row.updated_at,
    )


def evaluation_entity(name: str, row: EvaluationRow) -> Evaluation:
    return Evaluation(
        name=name,
        version=row.version,
        data_path=row.data_path,
        data_digest=row.data_digest,
        rows=row.rows,
        target=row.target,
        metrics={str(k): float(v) for k, v in (row.metrics or {}).items()},
        source=row.source,
        created_at=row.created_at,
        created_by=row.created_by,
    )
