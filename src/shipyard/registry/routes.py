"""HTTP routes of the model registry (thin over the services; they check the roles).

Viewers read models, versions, aliases, history and cards; contributors
register versions, write card fields and record evaluations; maintainers move
aliases, roll back, approve and promote. ``GET …/aliases/{alias}`` is one
indexed query, for model servers that poll for hot reload.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import StrictStr

from shipyard.context import Context
from shipyard.core.errors import InvalidInput
from shipyard.core.ids import ID_PATTERN
from shipyard.core.model_manifest import FileEntry
from shipyard.core.model_ref import MODEL_NAME_PATTERN, ModelRef, check_alias
from shipyard.registry.schemas import (
    REASON_MAX,
    AliasMove,
    AliasName,
    ApprovalIn,
    CardFields,
    EvaluationIn,
    NewVersion,
    PromotionIn,
    ReasonIn,
    SettableAlias,
    StoredVersion,
)
from shipyard.server.fields import ProjectName, Text, path_segment
from shipyard.server.sandbox import SANDBOX_HEADERS
from shipyard.server.security import request_context

__all__ = ["router"]

router = APIRouter(tags=["models"])
Ctx = Annotated[Context, Depends(request_context)]
PREFIX = "/projects/{project}/models"
Project = Annotated[ProjectName, Path()]
ModelName = Annotated[StrictStr, Path(pattern=MODEL_NAME_PATTERN.pattern)]
AliasPath = Annotated[AliasName, Path()]
SettablePath = Annotated[SettableAlias, Path()]

VERSION_CHARS = r"[1-9][0-9]{0,8}|latest|@[a-z][a-z0-9_-]{0,62}"
path_segment("model_version", VERSION_CHARS)  # …/versions/stored is never a version
Version = Annotated[str, Path(pattern=f"^({VERSION_CHARS})$", description="3, latest or @alias")]


def _in(ctx: Context, project: str) -> Context:
    return ctx.for_project(project)


@router.get(PREFIX, summary="Registered models of a project, with their aliases")
def list_models(project: Project, ctx: Ctx) -> list[dict[str, Any]]:
    from shipyard.registry.service import RegistryService

    return [m.to_dict() for m in RegistryService(ctx.db).list_models(ctx.principal, project)]


@router.get("/projects/{project}/model-versions",
            summary="The model versions registered from a run (lineage, backwards)")  # fmt: skip
def versions_of_run(
    project: Project,
    ctx: Ctx,
    run_id: Annotated[StrictStr, Query(pattern=ID_PATTERN.pattern)],
) -> list[dict[str, Any]]:
    from shipyard.registry.service import RegistryService

    found = RegistryService(ctx.db).versions_of_run(ctx.principal, project, run_id)
    return [v.to_dict() for v in found]


@router.get(PREFIX + "/{name}", summary="A model: card fields, aliases and versions")
def get_model(project: Project, name: ModelName, ctx: Ctx) -> dict[str, Any]:
    from shipyard.registry.service import RegistryService

    registry = RegistryService(ctx.db)
    model = registry.get_model(ctx.principal, project, name)
    versions = registry.list_versions(ctx.principal, project, name)
    return model.to_dict() | {"versions": [v.to_dict() for v in versions]}


@router.post(PREFIX + "/{name}/versions/stored", status_code=201,
             summary="Register the next version from files uploaded to the project")  # fmt: skip
def register_stored_version(
    project: Project, name: ModelName, body: StoredVersion, ctx: Ctx
) -> dict[str, Any]:
    from shipyard.registry.stored import register_stored

    files = [FileEntry.from_dict(f.model_dump()) for f in body.files]
    version = register_stored(_in(ctx, project), name, files, run_id=body.run_id,
                              description=body.description, source=body.source)  # fmt: skip
    return version.to_dict()


@router.post(PREFIX + "/{name}/versions", status_code=201,
             summary="Register the next version from files sent inline (base64)")  # fmt: skip
def register_version(
    project: Project, name: ModelName, body: NewVersion, ctx: Ctx
) -> dict[str, Any]:
    """For small models and scripts without the SDK: the files come as base64 and are
    registered as :func:`~shipyard.registry.stored.register_inline` says."""
    from shipyard.registry.stored import register_inline

    files: dict[str, bytes] = {}
    for path, content in body.files.items():
        try:
            files[path] = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(f"file {path!r} is not valid base64") from None
    version = register_inline(_in(ctx, project), name, files, description=body.description)
    return version.to_dict()


@router.get(
    PREFIX + "/{name}/versions/{version:model_version}",
    summary="One version: files, lineage, metrics",
)
def get_version(project: Project, name: ModelName, version: Version, ctx: Ctx) -> dict[str, Any]:
    from shipyard.registry.lineage import version_metrics
    from shipyard.registry.service import RegistryService

    here = _in(ctx, project)
    registry = RegistryService(ctx.db)
    found = registry.get_version(ctx.principal, project, _ref(name, version))
    evaluations = registry.evaluations(ctx.principal, project, name, found.version)
    return found.to_dict() | {
        "metrics": version_metrics(here, found),
        "evaluations": [e.to_dict() for e in evaluations],
    }


@router.get(PREFIX + "/{name}/versions/{version:model_version}/card",
            summary="The model card of a version (json, md or html)")  # fmt: skip
def get_card(
    project: Project,
    name: ModelName,
    version: Version,
    ctx: Ctx,
    format: Annotated[str, Query(pattern="^(json|md|html)$")] = "json",
) -> Response:
    from shipyard.registry.card.build import build_card
    from shipyard.registry.card.render import render_card

    text = render_card(build_card(_in(ctx, project), _ref(name, version)), format)
    media = {"json": "application/json", "md": "text/markdown", "html": "text/html"}[format]
    # The HTML is escaped; the sandbox is the second barrier (opened from the UI's origin).
    headers = SANDBOX_HEADERS if format == "html" else None
    return PlainTextResponse(text, media_type=f"{media}; charset=utf-8", headers=headers)


@router.get(PREFIX + "/{name}/versions/{version:model_version}/verification",
            summary="Check the version's files and signature now (what the signature_valid "
                    "gate checks); a failed check is an answer, not an error")  # fmt: skip
def verification(project: Project, name: ModelName, version: Version, ctx: Ctx) -> dict[str, Any]:
    from shipyard.registry.service import RegistryService
    from shipyard.registry.verification import verify_signature

    found = RegistryService(ctx.db).get_version(ctx.principal, project, _ref(name, version))
    return verify_signature(_in(ctx, project), found).to_dict()


@router.put(PREFIX + "/{name}/card", summary="Write the card's editable fields (contributors)")
def describe(project: Project, name: ModelName, body: CardFields, ctx: Ctx) -> dict[str, Any]:
    from shipyard.registry.service import RegistryService

    return RegistryService(ctx.db).describe(ctx.principal, project, name, body.fields).to_dict()


@router.post(PREFIX + "/{name}/versions/{version:model_version}/evaluations", status_code=201,
             summary="Record metrics a client measured on a data file (contributors)")  # fmt: skip
def record_evaluation(
    project: Project, name: ModelName, version: Version, body: EvaluationIn, ctx: Ctx
) -> dict[str, Any]:
    """What ``shipyard models evaluate`` measured on the client: stored as a record
    (shown on the card and by ``GET …/versions/{version}``), with ``source`` always
    ``evaluate``.

    No gate takes these numbers for the ``beats`` gate: it loads and scores the
    candidate and the alias's current version itself, on the server's copy of its
    data file, and records those scores with ``source`` ``gate``. A ``metrics``
    threshold does read the newest evaluation of a metric the run did not log —
    a number a client reported, as the run's logged metrics are.
    """
    from shipyard.registry.service import RegistryService

    registry = RegistryService(ctx.db)
    found = registry.get_version(ctx.principal, project, _ref(name, version))
    evaluation = registry.record_evaluation(
        ctx.principal, project, name, found.version, data_path=body.data_path,
        data_digest=body.data_digest, rows=body.rows, target=body.target,
        metrics=body.metrics, source=body.source,
    )  # fmt: skip
    return evaluation.to_dict()


@router.get(PREFIX + "/{name}/aliases/{alias}",
            summary="The version an alias points at (cheap: for hot-reload polling)")  # fmt: skip
def get_alias(project: Project, name: ModelName, alias: AliasPath, ctx: Ctx) -> dict[str, Any]:
    from shipyard.core.errors import NotFound
    from shipyard.registry.service import RegistryService

    registry = RegistryService(ctx.db)
    number = registry.alias_version(ctx.principal, project, name, alias)
    if number is None:
        registry.get_model(ctx.principal, project, name)  # NotFound for an unknown model
        raise NotFound(f"model {name!r} has no alias {alias!r}")
    return {"name": name, "alias": alias, "version": number}


@router.put(PREFIX + "/{name}/aliases/{alias}", summary="Point an alias at a version (maintainers)")
def set_alias(
    project: Project, name: ModelName, alias: SettablePath, body: AliasMove, ctx: Ctx
) -> dict[str, Any]:
    from shipyard.registry.aliases import AliasService

    moved = AliasService(ctx.db).set_alias(
        ctx.principal, project, name, alias, body.version, reason=body.reason
    )
    return _move(moved)


@router.delete(PREFIX + "/{name}/aliases/{alias}", summary="Unset an alias (maintainers)")
def remove_alias(
    project: Project,
    name: ModelName,
    alias: SettablePath,
    ctx: Ctx,
    reason: Annotated[
        Text, Query(max_length=REASON_MAX, description="Why (kept in the history).")
    ] = "",
) -> dict[str, Any]:
    from shipyard.registry.aliases import AliasService

    moved = AliasService(ctx.db).remove_alias(ctx.principal, project, name, alias, reason=reason)
    return _move(moved)


@router.post(PREFIX + "/{name}/aliases/{alias}/rollback",
             summary="Move an alias back to its previous version (maintainers)")  # fmt: skip
def rollback(
    project: Project, name: ModelName, alias: SettablePath, body: ReasonIn, ctx: Ctx
) -> dict[str, Any]:
    from shipyard.registry.aliases import AliasService

    moved = AliasService(ctx.db).rollback(ctx.principal, project, name, alias, reason=body.reason)
    return _move(moved)


@router.get(PREFIX + "/{name}/history", summary="Every alias move, oldest first")
def history(
    project: Project, name: ModelName, ctx: Ctx, alias: Annotated[AliasName | None, Query()] = None
) -> list[dict[str, Any]]:
    from shipyard.registry.aliases import AliasService

    events = AliasService(ctx.db).history(ctx.principal, project, name, alias)
    return [e.to_dict() for e in events]


@router.post(PREFIX + "/{name}/versions/{version:model_version}/approvals", status_code=201,
             summary="Approve a version for an alias (maintainers)")  # fmt: skip
def approve(
    project: Project, name: ModelName, version: Version, body: ApprovalIn, ctx: Ctx
) -> dict[str, Any]:
    from shipyard.registry.aliases import AliasService
    from shipyard.registry.service import RegistryService

    found = RegistryService(ctx.db).get_version(ctx.principal, project, _ref(name, version))
    approval = AliasService(ctx.db).approve(
        ctx.principal, project, name, found.version, body.alias, note=body.note
    )
    return approval.to_dict()


@router.get(PREFIX + "/{name}/versions/{version:model_version}/approvals",
            summary="A version's approvals, for one alias or all, oldest first")  # fmt: skip
def approvals(
    project: Project,
    name: ModelName,
    version: Version,
    ctx: Ctx,
    alias: Annotated[AliasName | None, Query()] = None,
) -> list[dict[str, Any]]:
    from shipyard.registry.aliases import AliasService
    from shipyard.registry.service import RegistryService

    found = RegistryService(ctx.db).get_version(ctx.principal, project, _ref(name, version))
    given = AliasService(ctx.db).approvals(ctx.principal, project, name, found.version, alias)
    return [a.to_dict() for a in given]


@router.post(PREFIX + "/{name}/versions/{version:model_version}/promote",
             summary="Evaluate an alias's gates and move it if all pass (maintainers)")  # fmt: skip
def promote(
    project: Project, name: ModelName, version: Version, body: PromotionIn, ctx: Ctx
) -> dict[str, Any]:
    from shipyard.registry.gates.promote import promote as run_promotion

    check_alias(body.alias)
    outcome = run_promotion(
        _in(ctx, project), _ref(name, version), body.alias, dry_run=body.dry_run,
        reason=body.reason,
    )  # fmt: skip
    return outcome.to_dict()


def _ref(name: str, version: str) -> ModelRef:
    """``3``, ``latest`` or ``@alias`` as a path segment."""
    if version == "latest":
        return ModelRef(name, alias="latest")
    if version.startswith("@"):
        return ModelRef.parse(f"{name}{version}")
    return ModelRef.parse(f"{name}/{version}")


def _move(result: Any) -> dict[str, Any]:
    return {
        "changed": result.changed,
        "current": result.current,
        "event": result.event.to_dict() if result.event is not None else None,
    }
