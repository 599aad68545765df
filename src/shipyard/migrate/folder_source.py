"""An MLflow ``mlruns`` folder (MLflow's file store), read directly.

Layout: ``<experiment id>/meta.yaml``; ``<experiment id>/<run id>/meta.yaml``
with ``params/``, ``tags/`` (one file per key; keys with ``/`` are subfolders)
and ``metrics/<key>`` (lines of ``timestamp value [step]``); MLflow 3's logged
models under ``<experiment id>/models/<model id>/``; the registry under
``models/<name>/`` (``meta.yaml`` with aliases, ``version-N/meta.yaml``,
``tags/``). ``.trash`` holds deleted experiments, which are not imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.migrate.local_files import local_folder, walk_files
from shipyard.migrate.records import (
    STATUS_NAMES,
    ArtifactFile,
    MetricChunk,
    MlflowExperiment,
    MlflowModel,
    MlflowModelVersion,
    MlflowRun,
)

__all__ = ["FolderSource"]

CHUNK = 10_000
_NOT_RUNS = {"models", "tags", "datasets", "traces", "meta.yaml"}


class FolderSource:
    """The MLflow store in an ``mlruns`` folder."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise NotFound(f"no MLflow store at {root}", hint="name an mlruns folder")
        if not any(_experiment_dirs(root)):
            raise InvalidInput(
                f"{root} is not an MLflow mlruns folder (no <experiment>/meta.yaml inside)"
            )
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def experiments(self) -> Iterator[MlflowExperiment]:
        for folder in _experiment_dirs(self.root):
            meta = _yaml(folder / "meta.yaml")
            yield MlflowExperiment(
                id=folder.name,  # folder names, never meta text, become paths
                name=str(meta.get("name", folder.name)),
                deleted=meta.get("lifecycle_stage") == "deleted",
                tags=_key_files(folder / "tags"),
            )

    def count_runs(self) -> int:
        return sum(1 for e in _experiment_dirs(self.root) for _ in _run_dirs(e))

    def runs(self, experiment: MlflowExperiment) -> Iterator[MlflowRun]:
        folder = self._experiment_dir(experiment)
        found = []
        for run_dir in _run_dirs(folder):
            meta = _yaml(run_dir / "meta.yaml")
            found.append((_int(meta.get("start_time")) or 0, run_dir.name))
        for _, name in sorted(found):
            run_dir = folder / name
            meta = _yaml(run_dir / "meta.yaml")
            tags = _key_files(run_dir / "tags")
            status = meta.get("status", 3)
            yield MlflowRun(
                run_id=run_dir.name,
                experiment_id=experiment.id,
                name=str(meta.get("run_name") or tags.get("mlflow.runName") or run_dir.name),
                status=STATUS_NAMES.get(status, str(status))
                if isinstance(status, int)
                else str(status),
                start_time=_int(meta.get("start_time")),
                end_time=_int(meta.get("end_time")),
                artifact_uri=str(meta.get("artifact_uri") or run_dir / "artifacts"),
                deleted=meta.get("lifecycle_stage") == "deleted",
                params=_key_files(run_dir / "params"),
                tags=tags,
            )

    def _experiment_dir(self, experiment: MlflowExperiment) -> Path:
        folder = self.root / experiment.id
        if not folder.is_dir() or folder.is_symlink():
            raise InvalidInput(f"experiment folder {experiment.id} is missing from {self.root}")
        return folder

    def _run_dir(self, run: MlflowRun) -> Path:
        return self.root / run.experiment_id / run.run_id

    def metrics(self, run: MlflowRun) -> Iterator[MetricChunk]:
        chunk: MetricChunk = []
        for key, path in _key_paths(self._run_dir(run) / "metrics"):
            try:
                with path.open(encoding="utf-8") as lines:
                    for number, line in enumerate(lines, 1):
                        chunk.append(_point(key, line, path, number))
                        if len(chunk) >= CHUNK:
                            yield chunk
                            chunk = []
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"cannot read {path}: {exc}") from None
        if chunk:
            yield chunk

    def artifacts(self, run: MlflowRun) -> Iterator[ArtifactFile]:
        yield from walk_files(local_folder(run.artifact_uri, self.root))
        models = self.root / run.experiment_id / "models"
        for model_dir in _subdirs(models):
            meta = _yaml(model_dir / "meta.yaml", missing_ok=True)
            if meta.get("source_run_id") == run.run_id:
                location = str(meta.get("artifact_location") or model_dir / "artifacts")
                yield from walk_files(
                    local_folder(location, self.root), f"mlflow-models/{model_dir.name}/"
                )

    def open_artifact(self, run: MlflowRun, item: ArtifactFile) -> BinaryIO:
        raise NotFound(f"artifact {item.path} of run {run.run_id} is not on this machine")

    def models(self) -> Iterator[MlflowModel]:
        for folder in _subdirs(self.root / "models"):
            meta = _yaml(folder / "meta.yaml", missing_ok=True)
            if not meta:
                continue
            versions = []
            for version_dir in _subdirs(folder):
                if not version_dir.name.startswith("version-"):
                    continue
                v = _yaml(version_dir / "meta.yaml")
                if v.get("current_stage") == "Deleted_Internal":
                    continue
                versions.append(
                    MlflowModelVersion(
                        name=str(meta.get("name", folder.name)),
                        version=int(str(v.get("version"))),
                        run_id=str(v["run_id"]) if v.get("run_id") else None,
                        source=str(v.get("source") or ""),
                        storage_location=str(v.get("storage_location") or ""),
                        description=str(v.get("description") or ""),
                    )
                )
            aliases = meta.get("aliases") or {}
            yield MlflowModel(
                name=str(meta.get("name", folder.name)),
                description=str(meta.get("description") or ""),
                tags=_key_files(folder / "tags"),
                versions=tuple(sorted(versions, key=lambda x: x.version)),
                aliases={str(a): int(str(n)) for a, n in dict(aliases).items()},
            )

    def model_folder(self, version: MlflowModelVersion, scratch: Path) -> Path | None:
        candidates = [version.storage_location]
        if version.source.startswith("models:/m-"):
            model_id = version.source.removeprefix("models:/")
            candidates += [str(d / "artifacts") for d in self.root.glob(f"*/models/{model_id}")]
        elif version.source.startswith("runs:/"):
            run_id, _, path = version.source.removeprefix("runs:/").partition("/")
            if ".." not in path.split("/"):
                candidates += [str(d / "artifacts" / path) for d in self.root.glob(f"*/{run_id}")]
        else:
            candidates.append(version.source)
        for uri in candidates:
            folder = local_folder(uri, self.root) if uri else None
            if folder is not None and not folder.is_symlink() and (folder / "MLmodel").is_file():
                return folder
        return None

    def close(self) -> None:
        pass


def _subdirs(folder: Path) -> list[Path]:
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())


def _experiment_dirs(root: Path) -> Iterator[Path]:
    for folder in _subdirs(root):
        hidden = folder.name.startswith(".") or folder.name == "models"
        if not hidden and (folder / "meta.yaml").is_file():
            yield folder


def _run_dirs(experiment: Path) -> Iterator[Path]:
    for folder in _subdirs(experiment):
        if folder.name not in _NOT_RUNS and (folder / "meta.yaml").is_file():
            yield folder


def _key_paths(folder: Path) -> Iterator[tuple[str, Path]]:
    """Files under ``folder`` named by their relative path (MLflow keys may hold ``/``)."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for here, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(here) / name
            if not path.is_symlink():
                yield path.relative_to(folder).as_posix(), path


def _key_files(folder: Path) -> dict[str, str]:
    values = {}
    for key, path in _key_paths(folder):
        try:
            values[key] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {path}: {exc}") from None
    return values


def _point(key: str, line: str, path: Path, number: int) -> tuple[str, float, int, int]:
    parts = line.split()
    try:
        stamp, value = int(parts[0]), float(parts[1])
        step = int(parts[2]) if len(parts) > 2 else 0
    except (IndexError, ValueError):
        raise InvalidInput(f"{path}, line {number}: not 'timestamp value step'") from None
    return key, value, step, stamp


def _yaml(path: Path, *, missing_ok: bool = False) -> dict[str, Any]:
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise InvalidInput(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict):
        if missing_ok:
            return {}
        raise InvalidInput(f"{path} is not an MLflow meta.yaml")
    return document


def _int(value: object) -> int | None:
    try:
        return None if value is None else int(str(value))
    except ValueError:
        return None
