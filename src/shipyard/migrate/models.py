"""Importing MLflow's registered models: versions, then aliases.

By default a version is registered as MLflow wrote it: its files unchanged,
plus a Shipyard manifest of flavor ``mlflow`` that marks them as not in a safe
format (loading needs ``trusted=True``; see
:mod:`shipyard.models.flavors.mlflow_format`). With ``convert``, the model is
turned into a safe format by :func:`shipyard.models.mlflow_import.import_mlflow`
(the one reader of ``MLmodel``) where it can be: a pickle only with
``trusted``, and otherwise it is kept as written, with a warning. Either way
the version goes through the registry seam with the imported run as its
lineage. A version is recognised on a later import by the first line of its
description, so nothing is registered twice.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard._version import __version__
from shipyard.core.errors import InvalidInput, NotFound, ShipyardError, UntrustedModel
from shipyard.core.model_manifest import MANIFEST_FILE, SIGNATURE_FILE, ModelManifest
from shipyard.core.model_ref import ALIAS_PATTERN, MODEL_NAME_PATTERN, RESERVED_ALIASES
from shipyard.migrate.local_files import walk_files
from shipyard.migrate.records import MlflowModel, MlflowModelVersion, MlflowSource
from shipyard.models.flavors.mlflow_format import MlflowFormatFlavor
from shipyard.models.mlflow_import import import_mlflow
from shipyard.models.model_dir.digests import digest_tree
from shipyard.models.model_dir.save import write_manifest

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["ModelCounts", "ModelOptions", "import_models", "marker"]


@dataclass
class ModelCounts:
    models: int = 0
    """Models that received new versions."""
    versions: int = 0
    versions_converted: int = 0
    """Of ``versions``, those turned into a safe format (``convert``)."""
    versions_skipped: int = 0
    """Already imported."""
    versions_refused: int = 0
    """Missing folders, invalid names, files Shipyard cannot take (warned)."""
    aliases: int = 0


@dataclass(frozen=True)
class ModelOptions:
    convert: bool = False
    trusted: bool = False


def marker(version: MlflowModelVersion) -> str:
    """The first line of an imported version's description."""
    return f"Imported from MLflow: {version.name} version {version.version}"


def import_models(
    ctx: Context,
    source: MlflowSource,
    runs: Callable[[str], str | None],
    counts: ModelCounts,
    warn: Callable[[str], None],
    options: ModelOptions = ModelOptions(),
) -> None:
    """Import every registered model of ``source``; ``runs`` maps an MLflow run id
    to the imported Shipyard run's id (lineage)."""
    for model in source.models():
        if not MODEL_NAME_PATTERN.match(model.name):
            warn(f"model {model.name!r}: not a valid Shipyard model name; skipped")
            counts.versions_refused += len(model.versions)
            continue
        before = counts.versions
        numbers = _import_versions(ctx, source, model, runs, counts, warn, options)
        if counts.versions > before:
            counts.models += 1
        _import_aliases(ctx, model, numbers, counts, warn)


def _existing(ctx: Context, name: str) -> dict[str, int]:
    """Description's first line → Shipyard version, for versions already registered."""
    try:
        versions = ctx.registry.list_versions(ctx.principal, ctx.project, name, limit=10_000)
    except NotFound:
        return {}
    return {v.description.split("\n", 1)[0]: v.version for v in versions}


def _import_versions(
    ctx: Context,
    source: MlflowSource,
    model: MlflowModel,
    runs: Callable[[str], str | None],
    counts: ModelCounts,
    warn: Callable[[str], None],
    options: ModelOptions,
) -> dict[int, int]:
    """MLflow version → Shipyard version, for every version now in the registry."""
    from shipyard.registry.publish import scratch_dir

    existing = _existing(ctx, model.name)
    numbers: dict[int, int] = {}
    for version in model.versions:
        first_line = marker(version)
        if first_line in existing:
            numbers[version.version] = existing[first_line]
            counts.versions_skipped += 1
            continue
        where = f"model {model.name} version {version.version}"
        with scratch_dir(ctx, "mlflow-model") as scratch:
            folder = source.model_folder(version, scratch / "mlflow")
            if folder is None:
                warn(f"{where}: its MLflow model folder is missing from the store; skipped")
                counts.versions_refused += 1
                continue
            target = scratch / "shipyard"
            try:
                converted = options.convert and _convert(
                    folder, target, version, options, where, warn
                )
                if not converted:
                    _as_written(folder, target, version)
            except ShipyardError as exc:
                warn(f"{where}: {exc}; skipped")
                counts.versions_refused += 1
                continue
            description = "\n".join(filter(None, [first_line, version.description]))
            registered = ctx.registry.publish_directory(
                target,
                model.name,
                run_id=runs(version.run_id) if version.run_id else None,
                description=description,
                source="mlflow",
            )
        numbers[version.version] = registered.version
        counts.versions += 1
        counts.versions_converted += bool(converted)
    return numbers


def _convert(
    folder: Path,
    target: Path,
    version: MlflowModelVersion,
    options: ModelOptions,
    where: str,
    warn: Callable[[str], None],
) -> bool:
    """A safe-format model directory in ``target``; False (and a warning) when the model
    cannot be converted here and is to be kept as MLflow wrote it."""
    try:
        import_mlflow(folder, target, trusted=options.trusted, metadata=_origin(version))
    except UntrustedModel:
        warn(f"{where} is a pickle: kept as MLflow wrote it (--trust converts it)")
    except (InvalidInput, NotFound) as exc:
        warn(f"{where} cannot be converted ({exc}): kept as MLflow wrote it")
    else:
        return True
    shutil.rmtree(target, ignore_errors=True)
    return False


def _as_written(folder: Path, target: Path, version: MlflowModelVersion) -> None:
    """MLflow's files, unchanged (links left out), with a manifest of flavor ``mlflow``."""
    target.mkdir()
    for item in walk_files(folder):
        if item.path in (MANIFEST_FILE, SIGNATURE_FILE):
            raise InvalidInput(f"the MLflow model already holds a {item.path}")
        destination = target / item.path
        destination.parent.mkdir(parents=True, exist_ok=True)
        if item.local is not None:  # always, for walk_files
            shutil.copyfile(item.local, destination)
    if not (target / "MLmodel").is_file():
        raise InvalidInput("its folder holds no MLmodel file: not an MLflow model")
    manifest = ModelManifest(
        flavor=MlflowFormatFlavor.name,
        files=digest_tree(target),
        metadata={"mlflow": {**_origin(version), "safe_format": False}},
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        shipyard_version=__version__,
    )
    write_manifest(target, manifest)


def _origin(version: MlflowModelVersion) -> dict[str, object]:
    return {
        "source": version.source,
        "run_id": version.run_id or "",
        "model_name": version.name,
        "model_version": version.version,
    }


def _import_aliases(
    ctx: Context,
    model: MlflowModel,
    numbers: dict[int, int],
    counts: ModelCounts,
    warn: Callable[[str], None],
) -> None:
    if not model.aliases or not numbers:
        return
    current = {
        alias: v.version
        for v in ctx.registry.list_versions(ctx.principal, ctx.project, model.name, limit=10_000)
        for alias in v.aliases
    }
    for alias, mlflow_version in sorted(model.aliases.items()):
        target = numbers.get(mlflow_version)
        if target is None or not ALIAS_PATTERN.match(alias) or alias in RESERVED_ALIASES:
            warn(f"model {model.name}: alias {alias!r} cannot be imported; skipped")
            continue
        if current.get(alias) == target:
            continue
        try:
            ctx.aliases.set_alias(
                ctx.principal, ctx.project, model.name, alias, target, reason="imported from MLflow"
            )
        except ShipyardError as exc:
            warn(f"model {model.name}: alias {alias!r}: {exc}")
            continue
        counts.aliases += 1
