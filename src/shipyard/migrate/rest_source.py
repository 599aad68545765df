"""An MLflow tracking server, read through its REST API (``/api/2.0/mlflow/…``) with httpx.

Runs come a page at a time (``runs/search``), metric histories a page at a
time (``metrics/get-history``), artifacts are listed with ``artifacts/list``
and streamed from the server's ``get-artifact`` route. Credentials come from
MLflow's own variables (``MLFLOW_TRACKING_TOKEN``, or ``MLFLOW_TRACKING_USERNAME``
and ``MLFLOW_TRACKING_PASSWORD``) and never appear in a message.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

import httpx

from shipyard.core.errors import InvalidInput, NotFound, Unauthenticated, Unavailable
from shipyard.core.relpath import check_relpath
from shipyard.migrate.records import (
    ArtifactFile,
    MetricChunk,
    MlflowExperiment,
    MlflowModel,
    MlflowModelVersion,
    MlflowRun,
)

__all__ = ["RestSource"]

API = "/api/2.0/mlflow"
PAGE = 1000
HISTORY_PAGE = 25_000


class RestSource:
    """The MLflow store behind an ``http(s)://`` tracking server."""

    def __init__(self, url: str, *, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        token = token or os.environ.get("MLFLOW_TRACKING_TOKEN")
        user = os.environ.get("MLFLOW_TRACKING_USERNAME")
        auth = (user, os.environ.get("MLFLOW_TRACKING_PASSWORD", "")) if user else None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=self.url, headers=headers, auth=auth, timeout=60)
        self._last: tuple[str, dict[str, Any]] = ("", {})
        self._get(f"{API}/experiments/search", max_results=1)  # reachable, and MLflow

    def describe(self) -> str:
        return self.url

    def _get(self, route: str, **params: Any) -> dict[str, Any]:
        try:
            answer = self.client.get(route, params=params)
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"cannot reach the MLflow server {self.url}: {type(exc).__name__}"
            ) from None
        return self._json(answer, route)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = self.client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"cannot reach the MLflow server {self.url}: {type(exc).__name__}"
            ) from None
        return self._json(answer, path)

    def _json(self, answer: httpx.Response, path: str) -> dict[str, Any]:
        if answer.status_code in (401, 403):
            raise Unauthenticated(
                f"the MLflow server {self.url} refused the request ({answer.status_code})",
                hint="set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD",
            )
        if answer.status_code == 404:
            raise NotFound(f"{self.url}{path} is not there: is this an MLflow server?")
        if answer.status_code >= 400:
            raise Unavailable(
                f"the MLflow server {self.url} answered {answer.status_code} to {path}"
            )
        try:
            document = answer.json()
        except ValueError:
            raise InvalidInput(
                f"{self.url}{path} did not answer JSON: is this an MLflow server?"
            ) from None
        if not isinstance(document, dict):
            raise InvalidInput(f"{self.url}{path} answered an unexpected document")
        return document

    def _pages(self, path: str, key: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            page = self._post(path, {**body, **({"page_token": token} if token else {})})
            yield from page.get(key) or []
            token = page.get("next_page_token")
            if not token:
                return

    def experiments(self) -> Iterator[MlflowExperiment]:
        for item in self._pages(f"{API}/experiments/search", "experiments", {"max_results": PAGE}):
            yield MlflowExperiment(
                id=str(item["experiment_id"]),
                name=str(item.get("name", "")),
                deleted=item.get("lifecycle_stage") == "deleted",
                tags=_pairs(item.get("tags")),
            )

    def count_runs(self) -> int:
        return 0  # the API does not count; the bar shows progress without a total

    def runs(self, experiment: MlflowExperiment) -> Iterator[MlflowRun]:
        body = {
            "experiment_ids": [experiment.id],
            "max_results": PAGE,
            "order_by": ["start_time ASC"],
        }
        for item in self._pages(f"{API}/runs/search", "runs", body):
            info, data = item.get("info", {}), item.get("data", {})
            tags = _pairs(data.get("tags"))
            yield MlflowRun(
                run_id=str(info["run_id"]),
                experiment_id=experiment.id,
                name=str(info.get("run_name") or tags.get("mlflow.runName") or info["run_id"]),
                status=str(info.get("status", "FINISHED")),
                start_time=_int(info.get("start_time")),
                end_time=_int(info.get("end_time")),
                artifact_uri=str(info.get("artifact_uri", "")),
                deleted=info.get("lifecycle_stage") == "deleted",
                params=_pairs(data.get("params")),
                tags=tags,
            )

    def metrics(self, run: MlflowRun) -> Iterator[MetricChunk]:
        keys = self._metric_keys(run)
        for key in keys:
            token: str | None = None
            while True:
                params: dict[str, Any] = {"run_id": run.run_id, "metric_key": key,
                                          "max_results": HISTORY_PAGE}  # fmt: skip
                if token:
                    params["page_token"] = token
                page = self._get(f"{API}/metrics/get-history", **params)
                yield [
                    (
                        key,
                        float(m.get("value", 0.0)),
                        int(m.get("step", 0)),
                        int(m.get("timestamp", 0)),
                    )
                    for m in page.get("metrics") or []
                ]
                token = page.get("next_page_token")
                if not token:
                    break

    def _run_document(self, run_id: str) -> dict[str, Any]:
        """``runs/get`` of one run (the last one asked is kept: metrics, then artifacts)."""
        if self._last[0] != run_id:
            self._last = (run_id, self._get(f"{API}/runs/get", run_id=run_id).get("run", {}))
        return self._last[1]

    def _metric_keys(self, run: MlflowRun) -> list[str]:
        item = self._run_document(run.run_id)
        return sorted({str(m["key"]) for m in item.get("data", {}).get("metrics") or []})

    def artifacts(self, run: MlflowRun) -> Iterator[ArtifactFile]:
        yield from self._run_artifacts(run)
        outputs = self._run_document(run.run_id).get("outputs") or {}
        for output in outputs.get("model_outputs") or []:
            model_id = check_relpath(str(output.get("model_id", "")), what="MLflow model id")
            for item in self._model_files(model_id):
                yield ArtifactFile(f"mlflow-models/{model_id}/{item.path}", item.size,
                                   model_id=model_id, relative=item.path)  # fmt: skip

    def _model_files(self, model_id: str) -> Iterator[ArtifactFile]:
        """The files of a logged model (MLflow 3), through the server's UI routes."""
        route = f"/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/directories"
        folders = [""]
        while folders:
            folder = folders.pop()
            params = {"artifact_directory_path": folder} if folder else {}
            for entry in self._get(route, **params).get("files") or []:
                path = check_relpath(entry.get("path"), what="MLflow artifact path")
                if entry.get("is_dir"):
                    folders.append(path)
                else:
                    yield ArtifactFile(path=path, size=int(entry.get("file_size", 0)))

    def _run_artifacts(self, run: MlflowRun) -> Iterator[ArtifactFile]:
        folders = [""]
        while folders:
            folder = folders.pop()
            params = {"run_id": run.run_id, **({"path": folder} if folder else {})}
            for entry in self._get(f"{API}/artifacts/list", **params).get("files") or []:
                path = check_relpath(entry.get("path"), what="MLflow artifact path")
                if entry.get("is_dir"):
                    folders.append(path)
                else:
                    yield ArtifactFile(path=path, size=int(entry.get("file_size", 0)))

    def open_artifact(self, run: MlflowRun, item: ArtifactFile) -> BinaryIO:
        """The artifact spooled to a temporary file (deleted on close): bounded memory."""
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, the caller closes it
        if item.model_id:
            route = f"/ajax-api/2.0/mlflow/logged-models/{item.model_id}/artifacts/files"
            params = {"artifact_file_path": item.relative}
        else:
            route, params = "/get-artifact", {"path": item.path, "run_uuid": run.run_id}
        try:
            with self.client.stream("GET", route, params=params) as answer:
                if answer.status_code >= 400:
                    raise Unavailable(
                        f"the MLflow server {self.url} answered {answer.status_code} "
                        f"for artifact {item.path} of run {run.run_id}"
                    )
                for block in answer.iter_bytes(1 << 20):
                    spool.write(block)
        except httpx.HTTPError as exc:
            spool.close()
            raise Unavailable(
                f"cannot reach the MLflow server {self.url}: {type(exc).__name__}"
            ) from None
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return cast(BinaryIO, spool)

    def models(self) -> Iterator[MlflowModel]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "max_results": PAGE,
                **({"page_token": token} if token else {}),
            }
            page = self._get(f"{API}/registered-models/search", **params)
            for item in page.get("registered_models") or []:
                yield self._model(item)
            token = page.get("next_page_token")
            if not token:
                return

    def _model(self, item: dict[str, Any]) -> MlflowModel:
        name = str(item["name"])
        found = self._get(
            f"{API}/model-versions/search", filter=f"name='{name}'", max_results=10_000
        )
        versions = sorted(
            (
                MlflowModelVersion(
                    name=name,
                    version=int(v["version"]),
                    run_id=v.get("run_id") or None,
                    source=str(v.get("source", "")),
                    storage_location=str(v.get("storage_location", "")),
                    description=str(v.get("description") or ""),
                )
                for v in found.get("model_versions") or []
            ),
            key=lambda v: v.version,
        )
        aliases = {str(a["alias"]): int(a["version"]) for a in item.get("aliases") or []}
        return MlflowModel(
            name,
            str(item.get("description") or ""),
            _pairs(item.get("tags")),
            tuple(versions),
            aliases,
        )

    def model_folder(self, version: MlflowModelVersion, scratch: Path) -> Path | None:
        """The version's files fetched into ``scratch``: a logged model's (``models:/m-…``)
        or a run folder's (``runs:/ID/PATH``); None for other sources."""
        run = MlflowRun(version.run_id or "", "", "", "", None, None, "")
        if version.source.startswith("models:/m-"):
            model_id = check_relpath(version.source.removeprefix("models:/"), what="model id")
            items = [
                (ArtifactFile(f.path, f.size, model_id=model_id, relative=f.path), f.path)
                for f in self._model_files(model_id)
            ]
        elif version.source.startswith("runs:/"):
            run_id, _, path = version.source.removeprefix("runs:/").partition("/")
            run = MlflowRun(run_id, "", "", "", None, None, "")
            prefix = check_relpath(path, what="MLflow model path") + "/"
            items = [
                (f, f.path[len(prefix) :])
                for f in self._run_artifacts(run)
                if f.path.startswith(prefix)
            ]
        else:
            return None
        for item, relative in items:
            target = scratch / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with self.open_artifact(run, item) as stream, target.open("wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
        return scratch if (scratch / "MLmodel").is_file() else None

    def close(self) -> None:
        self.client.close()


def _pairs(items: object) -> dict[str, str]:
    if not isinstance(items, list):
        return {}
    return {str(i.get("key")): str(i.get("value", "")) for i in items if isinstance(i, dict)}


def _int(value: object) -> int | None:
    try:
        return None if value is None else int(str(value))
    except ValueError:
        return None
