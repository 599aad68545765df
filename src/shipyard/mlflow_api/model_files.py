"""A model version registered from what MLflow logged: its files, as MLflow wrote them.

MLflow registers a version from a *source*: a logged model (``models:/m-…``),
a run's folder (``runs:/<run>/<path>``) or a location of the artifact proxy
(``mlflow-artifacts:/…``). Its files are already run artifacts in the object
store; the version names the same objects, plus a Shipyard manifest of flavor
``mlflow``, which marks them as not converted to a safe format (loading needs
``trusted=True``; see :mod:`shipyard.models.flavors.mlflow_format`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shipyard._version import __version__
from shipyard.context import Context
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound, ShipyardError
from shipyard.core.model_manifest import MANIFEST_FILE, FileEntry, ModelManifest
from shipyard.core.principal import Role
from shipyard.mlflow_api.artifacts import MODELS_FOLDER, Location, locate, model_run_id
from shipyard.mlflow_api.common import tracking
from shipyard.objects.grants import ObjectGrants
from shipyard.registry.entities import ModelVersion
from shipyard.registry.stored import register_stored
from shipyard.store.base import utcnow

__all__ = ["MLFLOW_FLAVOR", "Source", "mlflow_origin", "register_source", "resolve_source"]

MLFLOW_FLAVOR = "mlflow"


@dataclass(frozen=True)
class Source:
    """Where a version's files are: a folder of a run, and what MLflow called it."""

    text: str
    location: Location
    model_id: str = ""

    def download_uri(self, experiment_id: str) -> str:
        """Where MLflow's client downloads the version from (the artifact proxy)."""
        if self.model_id:
            return f"mlflow-artifacts:/{experiment_id}/models/{self.model_id}/artifacts"
        folder = f"/{self.location.folder}" if self.location.folder else ""
        return f"mlflow-artifacts:/{experiment_id}/{self.location.run_id}/artifacts{folder}"


def resolve_source(source: str, model_id: str | None) -> Source:
    """The run folder an MLflow source names; :class:`InvalidInput` for other schemes."""
    if model_id or source.startswith("models:/m-"):
        found = model_id or source.removeprefix("models:/").split("/")[0]
        model_run_id(found)
        return Source(source, Location(model_run_id(found), f"{MODELS_FOLDER}/{found}"), found)
    if source.startswith("runs:/"):
        run_id, _, path = source.removeprefix("runs:/").partition("/")
        return Source(source, Location(run_id, path.strip("/")))
    if source.startswith("mlflow-artifacts:/"):
        location, rest = locate(source.removeprefix("mlflow-artifacts:").lstrip("/"))
        return Source(source, Location(location.run_id, location.artifact(rest)))
    raise InvalidInput(
        f"cannot register a version from {source!r}",
        hint="register a model logged to this server (models:/m-…, runs:/…, mlflow-artifacts:/…)",
    )


def register_source(
    ctx: Context, project: str, name: str, source: Source, description: str
) -> ModelVersion:
    """Register the next version of ``name`` from the files under ``source``."""
    service = tracking(ctx)
    run_id, run_project = service.run_project(ctx.principal, source.location.run_id)
    if run_project != project:
        raise NotFound(f"no run {run_id!r} in project {project!r}")
    ctx.principal.require(Role.CONTRIBUTOR, project, "register model versions")
    detail = service.get_run(ctx.principal, run_id)
    folder = source.location.folder
    prefix = f"{folder}/" if folder else ""
    hidden = f"{MODELS_FOLDER}/"  # a run folder's files, not the models logged in the run
    files = tuple(
        FileEntry(a.path[len(prefix) :], a.digest, a.size)
        for a in detail.artifacts
        if a.path.startswith(prefix)
        and (prefix.startswith(hidden) or not a.path.startswith(hidden))
    )
    if not any(f.path == "MLmodel" for f in files):
        raise InvalidInput(f"{source.text} holds no MLmodel file: not an MLflow model")
    if any(f.path == MANIFEST_FILE for f in files):
        raise InvalidInput(f"{source.text} already holds a {MANIFEST_FILE}")
    origin = {"source": source.text, "model_id": source.model_id, "run_id": run_id,
              "safe_format": False}  # fmt: skip
    manifest = ModelManifest(
        flavor=MLFLOW_FLAVOR,
        files=tuple(sorted(files, key=lambda f: f.path)),
        metadata={"mlflow": origin},
        created_at=utcnow().isoformat(),
        shipyard_version=__version__,
    )
    ref = ctx.objects.put_bytes(json.dumps(manifest.to_dict(), indent=1).encode())
    ObjectGrants(ctx.db).grant(ctx.principal, project, [ref], action="model.manifest")
    entries = [*files, FileEntry(MANIFEST_FILE, ref.digest.hex, ref.size)]
    return register_stored(
        ctx.for_project(project), name, entries, run_id=run_id, description=description,
        source="mlflow",
    )  # fmt: skip


def mlflow_origin(ctx: Context, version: ModelVersion) -> dict[str, Any]:
    """What MLflow registered ``version`` from (empty for versions registered otherwise)."""
    if version.flavor != MLFLOW_FLAVOR:
        return {}
    try:
        manifest = json.loads(ctx.objects.read_bytes(Digest(version.manifest_digest)))
    except (ShipyardError, ValueError):
        return {}
    origin = manifest.get("metadata", {}).get("mlflow", {})
    return origin if isinstance(origin, dict) else {}
