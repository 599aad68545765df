"""An MLflow store in SQLite (``sqlite:///mlflow.db``), read with :mod:`sqlite3`.

MLflow's schema (tables ``experiments``, ``runs``, ``metrics``, ``params``,
``tags``, ``registered_models``, ``model_versions``,
``registered_model_aliases``, and MLflow 3's ``logged_models``) is read
read-only; metric points come through a cursor in chunks, by the index MLflow
keeps on ``metrics.run_uuid``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.migrate.local_files import local_folder, walk_files
from shipyard.migrate.records import (
    ArtifactFile,
    MetricChunk,
    MlflowExperiment,
    MlflowModel,
    MlflowModelVersion,
    MlflowRun,
)

__all__ = ["SqliteSource"]

CHUNK = 10_000
_REQUIRED = {"experiments", "runs", "metrics", "params", "tags"}


class SqliteSource:
    """The MLflow store in one SQLite file."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise NotFound(f"no MLflow store at {path}", hint="check the sqlite:/// path")
        self.path = path
        self.base = path.parent
        try:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.Error as exc:
            raise InvalidInput(f"{path} is not a readable SQLite database: {exc}") from None
        if not tables >= _REQUIRED:
            self.db.close()
            lacking = ", ".join(sorted(_REQUIRED - tables))
            raise InvalidInput(f"{path} is not an MLflow tracking store (no {lacking})")
        self.tables = tables

    def describe(self) -> str:
        return f"sqlite:///{self.path}"

    def _rows(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise InvalidInput(f"cannot read the MLflow store {self.path}: {exc}") from None

    def experiments(self) -> Iterator[MlflowExperiment]:
        tags: dict[str, dict[str, str]] = {}
        if "experiment_tags" in self.tables:
            for key, value, eid in self._rows(
                "SELECT key, value, experiment_id FROM experiment_tags"
            ):
                tags.setdefault(str(eid), {})[str(key)] = str(value or "")
        for eid, name, stage in self._rows(
            "SELECT experiment_id, name, lifecycle_stage FROM experiments ORDER BY experiment_id"
        ):
            yield MlflowExperiment(str(eid), str(name), stage == "deleted", tags.get(str(eid), {}))

    def count_runs(self) -> int:
        rows = self._rows("SELECT count(*) FROM runs WHERE lifecycle_stage != 'deleted'")
        return int(str(rows[0][0]))

    def runs(self, experiment: MlflowExperiment) -> Iterator[MlflowRun]:
        ids = [
            str(r[0])
            for r in self._rows(
                "SELECT run_uuid FROM runs WHERE experiment_id = ? ORDER BY start_time, run_uuid",
                experiment.id,
            )
        ]
        for run_id in ids:  # one run's rows at a time: 10,000 runs stay small
            row = self._rows(
                "SELECT name, status, start_time, end_time, lifecycle_stage, artifact_uri "
                "FROM runs WHERE run_uuid = ?",
                run_id,
            )[0]
            name, status, start, end, stage, artifact_uri = row
            params = self._pairs("params", run_id)
            tags = self._pairs("tags", run_id)
            yield MlflowRun(
                run_id=run_id,
                experiment_id=experiment.id,
                name=str(name or tags.get("mlflow.runName") or run_id),
                status=str(status or "FINISHED"),
                start_time=_int(start),
                end_time=_int(end),
                artifact_uri=str(artifact_uri or ""),
                deleted=stage == "deleted",
                params=params,
                tags=tags,
            )

    def _pairs(self, table: str, run_id: str) -> dict[str, str]:
        sql = f"SELECT key, value FROM {table} WHERE run_uuid = ?"  # noqa: S608 - our names
        return {str(k): "" if v is None else str(v) for k, v in self._rows(sql, run_id)}

    def metrics(self, run: MlflowRun) -> Iterator[MetricChunk]:
        try:
            cursor = self.db.execute(
                "SELECT key, value, step, timestamp, is_nan FROM metrics WHERE run_uuid = ?",
                (run.run_id,),
            )
            while rows := cursor.fetchmany(CHUNK):
                yield [
                    (str(k), float("nan") if nan else float(v), int(s), int(t))
                    for k, v, s, t, nan in rows
                ]
        except sqlite3.Error as exc:
            raise InvalidInput(f"cannot read the MLflow store {self.path}: {exc}") from None

    def artifacts(self, run: MlflowRun) -> Iterator[ArtifactFile]:
        yield from walk_files(local_folder(run.artifact_uri, self.base))
        if "logged_models" in self.tables:
            for model_id, location in self._rows(
                "SELECT model_id, artifact_location FROM logged_models "
                "WHERE source_run_id = ? ORDER BY model_id",
                run.run_id,
            ):
                folder = local_folder(str(location or ""), self.base)
                yield from walk_files(folder, f"mlflow-models/{model_id}/")

    def open_artifact(self, run: MlflowRun, item: ArtifactFile) -> BinaryIO:
        raise NotFound(f"artifact {item.path} of run {run.run_id} is not on this machine")

    def models(self) -> Iterator[MlflowModel]:
        if "registered_models" not in self.tables:
            return
        for name, description in self._rows(
            "SELECT name, description FROM registered_models ORDER BY name"
        ):
            versions = tuple(
                MlflowModelVersion(
                    name=str(name),
                    version=int(str(version)),
                    run_id=str(run_id) if run_id else None,
                    source=str(source or ""),
                    storage_location=str(location or ""),
                    description=str(text or ""),
                )
                for version, run_id, source, location, text in self._rows(
                    "SELECT version, run_id, source, storage_location, description "
                    "FROM model_versions WHERE name = ? AND current_stage != 'Deleted_Internal' "
                    "ORDER BY version",
                    name,
                )
            )
            aliases = {}
            if "registered_model_aliases" in self.tables:
                aliases = {
                    str(a): int(str(v))
                    for a, v in self._rows(
                        "SELECT alias, version FROM registered_model_aliases WHERE name = ?", name
                    )
                }
            tags = {}
            if "registered_model_tags" in self.tables:
                tags = {
                    str(k): str(v or "")
                    for k, v in self._rows(
                        "SELECT key, value FROM registered_model_tags WHERE name = ?", name
                    )
                }
            yield MlflowModel(str(name), str(description or ""), tags, versions, aliases)

    def model_folder(self, version: MlflowModelVersion, scratch: Path) -> Path | None:
        for uri in (version.storage_location, self._source_location(version.source)):
            folder = local_folder(uri, self.base) if uri else None
            if folder is not None and not folder.is_symlink() and (folder / "MLmodel").is_file():
                return folder
        return None

    def _source_location(self, source: str) -> str:
        """``models:/m-…`` (MLflow 3) or ``runs:/ID/PATH`` as a local location."""
        if source.startswith("models:/m-") and "logged_models" in self.tables:
            rows = self._rows(
                "SELECT artifact_location FROM logged_models WHERE model_id = ?",
                source.removeprefix("models:/"),
            )
            return str(rows[0][0]) if rows else ""
        if source.startswith("runs:/"):
            run_id, _, path = source.removeprefix("runs:/").partition("/")
            rows = self._rows("SELECT artifact_uri FROM runs WHERE run_uuid = ?", run_id)
            if rows and ".." not in path.split("/"):
                return f"{rows[0][0]}/{path}"
        return source

    def close(self) -> None:
        self.db.close()


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))
