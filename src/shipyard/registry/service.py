"""The registry service: models, their versions, card fields and evaluations.

Every method takes the :class:`Principal` asking and checks its role in the
project: viewers read, contributors register versions, describe models and
record evaluations. Alias moves, rollback and approvals (maintainers) are in
:mod:`shipyard.registry.aliases`. Each change is one ``Database.write()``
transaction with its audit entry.

Version numbers: registering increments ``registered_models.last_version`` with
one ``UPDATE … RETURNING`` (the row's lock serialises concurrent registrations
on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises every writer) and inserts
the version in the same transaction, so numbers are unique and gap-free.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.ids import new_id
from shipyard.core.model_ref import ModelRef, check_model_name
from shipyard.core.principal import Principal, Role
from shipyard.registry.entities import (
    CARD_FIELDS,
    Evaluation,
    ModelVersion,
    RegisteredModel,
    VersionDraft,
)
from shipyard.registry.rows import (
    aliases_by_version,
    evaluation_entity,
    find_model,
    model_entity,
    resolve_number,
    version_entity,
)
from shipyard.registry.tables import (
    EvaluationRow,
    ModelAliasRow,
    ModelVersionRow,
    RegisteredModelRow,
)
from shipyard.registry.version_rules import check_draft
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.store.projects import check_project_name
from shipyard.store.tables import ProjectRow
from shipyard.store.upsert import insert_ignoring_conflicts

__all__ = ["CARD_FIELD_MAX", "RegistryService"]

CARD_FIELD_MAX = 20_000


class RegistryService:
    """Registered models of every project in one metadata store."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- registering -----------------------------------------------------------

    def register_version(
        self, principal: Principal, project: str, name: str, draft: VersionDraft
    ) -> ModelVersion:
        """Register the next version of ``name`` (created if new) from stored files.

        Metadata only: the files must be in the object store already. Callers
        register through :func:`shipyard.registry.stored.register_stored`, which
        checks the stored objects first. Raises :class:`InvalidInput` for a bad
        name or a draft breaking :mod:`.version_rules`, :class:`PermissionDenied`
        without the contributor role.
        """
        check_project_name(project)
        check_model_name(name)
        principal.require(Role.CONTRIBUTOR, project, "register model versions")
        check_draft(draft)
        now = utcnow()
        for attempt in self.db.write_attempts():
            with attempt as session:
                _note_project(session, principal, project)
                insert_ignoring_conflicts(
                    session,
                    RegisteredModelRow.__table__,  # type: ignore[arg-type]
                    [
                        {
                            "id": new_id(),
                            "project": project,
                            "name": name,
                            "created_at": now,
                            "created_by": principal.name,
                            "last_version": 0,
                            "card": {},
                            "updated_at": now,
                        }
                    ],
                    ["project", "name"],
                )
                bumped = session.execute(
                    update(RegisteredModelRow)
                    .where(RegisteredModelRow.project == project, RegisteredModelRow.name == name)
                    .values(last_version=RegisteredModelRow.last_version + 1, updated_at=now)
                    .returning(RegisteredModelRow.id, RegisteredModelRow.last_version)
                ).one()
                model_id, number = str(bumped[0]), int(bumped[1])
                row = ModelVersionRow(
                    model_id=model_id,
                    version=number,
                    flavor=draft.flavor,
                    files={"files": [f.to_dict() for f in draft.files]},
                    manifest_digest=draft.manifest_digest,
                    size=draft.size,
                    schema=draft.schema.to_dict() if draft.schema is not None else None,
                    signer=draft.signer,
                    run_id=draft.run_id,
                    lineage=dict(draft.lineage),
                    source=draft.source,
                    description=draft.description,
                    created_at=now,
                    created_by=principal.name,
                )
                session.add(row)
                session.flush()
                audit.record(
                    session,
                    principal,
                    "model.register",
                    f"model:{name}/{number}",
                    project=project,
                    detail={
                        "flavor": draft.flavor,
                        "manifest": draft.manifest_digest,
                        "signed": draft.signer is not None,
                        "run_id": draft.run_id,
                        "source": draft.source,
                    },
                )
                return version_entity(project, name, row, ())
        raise AssertionError("write_attempts ends in a commit or raises")

    # -- reading ---------------------------------------------------------------

    def list_models(self, principal: Principal, project: str) -> list[RegisteredModel]:
        principal.require(Role.VIEWER, project, "read models")
        with self.db.read() as session:
            rows = session.scalars(
                select(RegisteredModelRow)
                .where(RegisteredModelRow.project == project)
                .order_by(RegisteredModelRow.name)
            ).all()
            return [model_entity(session, row) for row in rows]

    def get_model(self, principal: Principal, project: str, name: str) -> RegisteredModel:
        principal.require(Role.VIEWER, project, "read models")
        with self.db.read() as session:
            return model_entity(session, find_model(session, project, name))

    def list_versions(
        self, principal: Principal, project: str, name: str, *, limit: int = 1000
    ) -> list[ModelVersion]:
        """Versions of ``name``, newest first."""
        principal.require(Role.VIEWER, project, "read models")
        with self.db.read() as session:
            model = find_model(session, project, name)
            aliases = aliases_by_version(session, model.id)
            rows = session.scalars(
                select(ModelVersionRow)
                .where(ModelVersionRow.model_id == model.id)
                .order_by(ModelVersionRow.version.desc())
                .limit(limit)
            ).all()
            return [
                version_entity(project, name, r, tuple(aliases.get(r.version, ()))) for r in rows
            ]

    def versions_of_run(
        self, principal: Principal, project: str, run_id: str, *, limit: int = 100
    ) -> list[ModelVersion]:
        """The versions registered from ``run_id`` (lineage read backwards), by model name."""
        principal.require(Role.VIEWER, project, "read models")
        with self.db.read() as session:
            found = session.execute(
                select(RegisteredModelRow.name, ModelVersionRow)
                .join(ModelVersionRow, ModelVersionRow.model_id == RegisteredModelRow.id)
                .where(RegisteredModelRow.project == project, ModelVersionRow.run_id == run_id)
                .order_by(RegisteredModelRow.name, ModelVersionRow.version)
                .limit(limit)
            ).all()
            return [version_entity(project, name, row, ()) for name, row in found]

    def get_version(self, principal: Principal, project: str, ref: ModelRef) -> ModelVersion:
        """The version ``ref`` names (number, alias or ``latest``); :class:`NotFound` naming
        what is missing."""
        principal.require(Role.VIEWER, project, "read models")
        with self.db.read() as session:
            model = find_model(session, project, ref.name)
            number = resolve_number(session, model, ref)
            row = session.get(ModelVersionRow, (model.id, number))
            if row is None:
                raise NotFound(
                    f"model {ref.name!r} has no version {number}",
                    hint=f"list its versions with `shipyard models show {ref.name}`",
                )
            aliases = aliases_by_version(session, model.id).get(number, [])
            return version_entity(project, ref.name, row, tuple(aliases))

    def alias_version(
        self, principal: Principal, project: str, name: str, alias: str
    ) -> int | None:
        """The version ``alias`` points at now (None if unset). One indexed query: cheap
        enough to poll (serving's hot reload). ``latest`` gives the newest version."""
        principal.require(Role.VIEWER, project, "read models")
        with self.db.read() as session:
            if alias == "latest":
                found = session.scalar(
                    select(RegisteredModelRow.last_version).where(
                        RegisteredModelRow.project == project, RegisteredModelRow.name == name
                    )
                )
                return int(found) if found else None
            value = session.scalar(
                select(ModelAliasRow.version)
                .join(RegisteredModelRow, RegisteredModelRow.id == ModelAliasRow.model_id)
                .where(
                    RegisteredModelRow.project == project,
                    RegisteredModelRow.name == name,
                    ModelAliasRow.alias == alias,
                )
            )
            return None if value is None else int(value)

    # -- card fields -------------------------------------------------------------

    def describe(
        self, principal: Principal, project: str, name: str, fields: Mapping[str, str | None]
    ) -> RegisteredModel:
        """Set (or, with None or "", clear) the model card's editable fields."""
        principal.require(Role.CONTRIBUTOR, project, "describe models")
        unknown = sorted(set(fields) - set(CARD_FIELDS))
        if unknown:
            raise InvalidInput(
                f"unknown model card field {unknown[0]!r}",
                hint=f"fields: {', '.join(CARD_FIELDS)}",
            )
        for key, value in fields.items():
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"model card field {key!r} must be text")
            if value is not None and len(value) > CARD_FIELD_MAX:
                raise InvalidInput(
                    f"model card field {key!r} is longer than {CARD_FIELD_MAX:,} characters"
                )
        with self.db.write() as session:
            model = find_model(session, project, name, lock=True)
            card = dict(model.card or {})
            for key, value in fields.items():
                if value is None or not value.strip():
                    card.pop(key, None)
                else:
                    card[key] = value.strip()
            model.card = card
            model.updated_at = utcnow()
            audit.record(
                session,
                principal,
                "model.describe",
                f"model:{name}",
                project=project,
                detail={"fields": sorted(fields)},
            )
            session.flush()
            return model_entity(session, model)

    # -- evaluations -------------------------------------------------------------

    def record_evaluation(
        self,
        principal: Principal,
        project: str,
        name: str,
        version: int,
        *,
        data_path: str,
        data_digest: str,
        rows: int,
        target: str,
        metrics: Mapping[str, float],
        source: str = "evaluate",
    ) -> Evaluation:
        """Store metrics of a version measured on a data file (shown on its model card)."""
        principal.require(Role.CONTRIBUTOR, project, "record model evaluations")
        now = utcnow()
        with self.db.write() as session:
            model = find_model(session, project, name)
            if session.get(ModelVersionRow, (model.id, version)) is None:
                raise NotFound(f"model {name!r} has no version {version}")
            row = EvaluationRow(
                model_id=model.id,
                version=version,
                data_path=data_path,
                data_digest=data_digest,
                rows=rows,
                target=target,
                metrics={k: float(v) for k, v in metrics.items()},
                source=source,
                created_at=now,
                created_by=principal.name,
            )
            session.add(row)
            audit.record(
                session,
                principal,
                "model.evaluate",
                f"model:{name}/{version}",
                project=project,
                detail={"data": data_path, "digest": data_digest, "metrics": dict(row.metrics)},
            )
            return evaluation_entity(name, row)

    def evaluations(
        self, principal: Principal, project: str, name: str, version: int
    ) -> list[Evaluation]:
        """Evaluations of one version, oldest first."""
        principal.require(Role.VIEWER, project, "read models")
        with self.db.read() as session:
            model = find_model(session, project, name)
            rows = session.scalars(
                select(EvaluationRow)
                .where(EvaluationRow.model_id == model.id, EvaluationRow.version == version)
                .order_by(EvaluationRow.seq)
            ).all()
            return [evaluation_entity(name, r) for r in rows]

    def referenced_digests(self) -> list[str]:
        """Every object digest any registered version uses (the gc root of the registry)."""
        digests: set[str] = set()
        with self.db.read() as session:
            for files in session.scalars(select(ModelVersionRow.files)):
                digests.update(str(f["blake3"]) for f in (files or {}).get("files", []))
        return sorted(digests)


def _note_project(session: Session, principal: Principal, project: str) -> None:
    """Create the project's row the first time an admin uses it (others need not)."""
    if principal.admin and session.scalar(select(ProjectRow.id).where(ProjectRow.name == project)):
        return
    if principal.admin:
        from shipyard.store.projects import ensure_project

        ensure_project(session, principal, project)
        session.flush()
