"""Importing one MLflow run through the tracking seam (embedded store or team server).

A run is created running with its tags, filled (params and metric points in
bounded batches, each sent with an idempotency key, then its artifacts: bytes
first, records after) and ended with MLflow's status and the tag
``mlflow.import = complete``, together with its last batch. A run found with
MLflow's id but without that tag was cut short by an earlier import: it is
deleted and imported again, so an interrupted import resumes and a finished
one imports nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from shipyard.core.errors import NotFound
from shipyard.migrate.records import ArtifactFile, MlflowRun, MlflowSource
from shipyard.tracking.backend import TrackingBackend
from shipyard.tracking.entities import LogBatch, Resources, RunSpec, RunStatus
from shipyard.tracking.limits import KEY_MAX, NAME_MAX, VALUE_MAX

__all__ = [
    "COMPLETE_TAG",
    "RUN_ID_TAG",
    "RunCounts",
    "experiment_name",
    "import_run",
    "imported_runs",
]

RUN_ID_TAG = "mlflow.run_id"
"""MLflow's id of an imported run, for traceability (and to find it again)."""
COMPLETE_TAG = "mlflow.import"
BATCH = 5_000
_STATUSES = {"FINISHED": RunStatus.FINISHED, "FAILED": RunStatus.FAILED}
_KEY = re.compile(r"^[\w][\w\-./: ]*$")
_EXPERIMENT_BAD = re.compile(r"[^\w\-. ]")


@dataclass
class RunCounts:
    """What was imported (or found already there)."""

    runs: int = 0
    skipped: int = 0
    """Already imported before."""
    metrics: int = 0
    params: int = 0
    tags: int = 0
    artifacts: int = 0
    artifact_bytes: int = 0
    dropped: int = 0
    """Keys or values Shipyard cannot hold (named in warnings)."""


def experiment_name(name: str) -> str:
    """MLflow's experiment name as a Shipyard one (``/Users/ana/x`` → ``Users_ana_x``)."""
    cleaned = _EXPERIMENT_BAD.sub("_", name).strip(" ._-") or "Default"
    return cleaned[:NAME_MAX]


def imported_runs(backend: TrackingBackend, experiment: str) -> dict[str, tuple[str, bool]]:
    """MLflow run id → (Shipyard run id, whether its import completed), for one experiment."""
    found: dict[str, tuple[str, bool]] = {}
    token: str | None = None
    while True:
        try:
            page = backend.search_runs(experiments=[experiment], limit=1000, page_token=token)
        except NotFound:
            return found  # a new experiment
        for run in page.runs:
            mlflow_id = run.tags.get(RUN_ID_TAG)
            if mlflow_id:
                found[mlflow_id] = (run.id, run.tags.get(COMPLETE_TAG) == "complete")
        token = page.next_page_token
        if not token:
            return found


def import_run(
    backend: TrackingBackend,
    source: MlflowSource,
    run: MlflowRun,
    experiment: str,
    counts: RunCounts,
    warn: Callable[[str], None],
) -> str:
    """Import ``run`` into ``experiment``; returns the Shipyard run id."""
    tags = _clean(run.tags, "tag", run.run_id, counts, warn)
    tags[RUN_ID_TAG] = run.run_id
    tags["mlflow.experiment_id"] = run.experiment_id
    tags["mlflow.status"] = run.status
    for name, value in (("mlflow.start_time", run.start_time), ("mlflow.end_time", run.end_time)):
        if value is not None:
            tags[name] = str(value)
    spec = RunSpec(experiment=experiment, name=run.name[:NAME_MAX], tags=tags)
    rid = backend.create_run(spec).id
    counts.tags += len(tags)
    params = _clean(run.params, "param", run.run_id, counts, warn)
    counts.params += len(params)
    # The params ride with the first batch of points and the last batch ends the run:
    # a run of fewer than BATCH points is two transactions.
    pending = LogBatch(params=[(rid, k, v) for k, v in params.items()])
    for number, chunk in enumerate(_batches(source, run, counts, warn)):
        if pending.metrics:
            backend.log_batch(pending, None, key=f"mlflow-{rid}-{number}")
            pending = LogBatch()
        pending.metrics = [(rid, k, v, s, t) for k, v, s, t in chunk]
        counts.metrics += len(chunk)
    _artifacts(backend, source, run, rid, counts)
    pending.tags.append((rid, COMPLETE_TAG, "complete"))  # in the ending transaction
    status = _STATUSES.get(run.status, RunStatus.KILLED)
    backend.end_run(rid, status, Resources(), batch=pending, key=f"mlflow-{rid}-end")
    counts.runs += 1
    return rid


def _clean(
    values: dict[str, str], what: str, run_id: str, counts: RunCounts, warn: Callable[[str], None]
) -> dict[str, str]:
    kept = {}
    for key, value in values.items():
        if len(key) > KEY_MAX or not _KEY.match(key) or len(value) > VALUE_MAX:
            counts.dropped += 1
            warn(f"run {run_id}: {what} {key[:60]!r} cannot be stored in Shipyard; skipped")
            continue
        kept[key] = value
    return kept


def _batches(
    source: MlflowSource, run: MlflowRun, counts: RunCounts, warn: Callable[[str], None]
) -> Iterator[list[tuple[str, float, int, int]]]:
    """MLflow's chunks regrouped into batches of at most :data:`BATCH` valid points."""
    pending: list[tuple[str, float, int, int]] = []
    bad: set[str] = set()
    for chunk in source.metrics(run):
        for point in chunk:
            key, _, step, stamp = point
            if key in bad:
                continue
            if len(key) > KEY_MAX or not _KEY.match(key) or step < 0 or stamp < 0:
                bad.add(key)
                counts.dropped += 1
                warn(f"run {run.run_id}: metric {key[:60]!r} cannot be stored in Shipyard; skipped")
                continue
            pending.append(point)
            if len(pending) >= BATCH:
                yield pending
                pending = []
    if pending:
        yield pending


def _artifacts(
    backend: TrackingBackend, source: MlflowSource, run: MlflowRun, rid: str, counts: RunCounts
) -> None:
    """Bytes into the object store, then their records, a few hundred at a time."""
    records: list[tuple[str, str, int]] = []
    for item in source.artifacts(run):
        ref = _put(backend, source, run, item)
        records.append((item.path, ref[0], ref[1]))
        counts.artifacts += 1
        counts.artifact_bytes += ref[1]
        if len(records) >= 500:
            backend.record_artifacts(rid, records)
            records = []
    if records:
        backend.record_artifacts(rid, records)


def _put(
    backend: TrackingBackend, source: MlflowSource, run: MlflowRun, item: ArtifactFile
) -> tuple[str, int]:
    if item.local is not None:
        ref = backend.objects.put_file(item.local)
    else:
        with source.open_artifact(run, item) as stream:
            ref = backend.objects.put_stream(stream)
    return ref.digest.hex, ref.size
