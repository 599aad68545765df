"""Pipeline runs and step runs in the tracking store (through the tracking seam).

A pipeline run is a tracked run of the experiment named after the pipeline;
each step is a child run with its inputs, cache key, output, attempts and
timings as params, tags and metrics. A cache lookup is one indexed query on
the key tag (:meth:`TrackingBackend.tagged_run`), and step runs are written
in batches (:meth:`TrackingBackend.write_runs`), so the cache and the records
work the same embedded and against a team server.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import ShipyardError
from shipyard.pipelines.cache import OUTPUT_TAG
from shipyard.pipelines.values import StoredValue
from shipyard.tracking.entities import (
    Resources,
    Run,
    RunEnd,
    RunOutcome,
    RunSpec,
    RunStart,
    RunStatus,
    Writer,
)

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.tracking.backend import TrackingBackend

__all__ = ["Recorder"]

PIPELINE_TAG = "shipyard.pipeline"
NODE_TAG = "shipyard.step"
CACHE_TAG = "shipyard.step.cache"
ERROR_TAG = "shipyard.step.error"
TRACEBACK_TAG = "shipyard.step.traceback"
TRIGGER_TAG = "shipyard.pipeline.trigger"
TRIGGER_ID_TAG = "shipyard.pipeline.trigger_id"
REFERENCE_TAG = "shipyard.pipeline.reference"
FLUSH_AFTER_S = 0.5
"""How long a step's end or a cache hit may wait to be written with the next write."""

log = logging.getLogger("shipyard.pipelines")


def _outcome(
    status: RunStatus,
    params: Mapping[str, str] | None,
    metrics: Mapping[str, float] | None,
    tags: Mapping[str, str] | None,
    seconds: float,
) -> RunOutcome:
    return RunOutcome(
        status, Resources(wall_seconds=seconds), dict(params or {}), dict(metrics or {}),
        dict(tags or {}),
    )  # fmt: skip


class Recorder:
    """Writes a pipeline's runs, batching what need not be written at once.

    A step's end and a cache hit's whole run are kept back (at most
    :data:`FLUSH_AFTER_S`) and written with the next write that must happen now
    (a step run starting, the pipeline run ending): one transaction for what
    used to be several. A pipeline process killed meanwhile loses only those
    records: its steps then show as killed and ``pipeline resume`` runs them again.
    """

    def __init__(self, context: Context, experiment: str) -> None:
        from shipyard.tracking.environment import host_name

        self.context = context
        self.backend: TrackingBackend = context.tracking
        self.experiment = experiment
        self.writer = Writer(host_name(), os.getpid())
        self.hit_ids: dict[str, str] = {}
        """Run ids of the cache hits written so far, by run name (the step's node)."""
        self._ends: list[RunEnd] = []
        self._hits: list[RunStart] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def _spec(self, name: str, tags: Mapping[str, str], parent: str | None) -> RunSpec:
        return RunSpec(
            experiment=self.experiment,
            name=name,
            parent_id=parent,
            tags=dict(tags),
            host=self.writer.host,
            pid=self.writer.pid,
        )

    def start(self, name: str, tags: Mapping[str, str], parent: str | None = None) -> str:
        """Start a run now (with whatever was kept back); returns its id."""
        return self._write([RunStart(self._spec(name, tags, parent))])[-1].id

    def end(
        self,
        run_id: str,
        status: RunStatus,
        *,
        params: Mapping[str, str] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
        seconds: float = 0.0,
        later: bool = False,
    ) -> None:
        """End a run: now, with whatever was kept back, or ``later`` (kept back)."""
        outcome = _outcome(status, params, metrics, tags, seconds)
        with self._lock:
            self._ends.append(RunEnd(run_id, outcome))
            if later:
                self._soon()
                return
        self._write([])

    def hit(
        self,
        name: str,
        tags: Mapping[str, str],
        parent: str,
        *,
        params: Mapping[str, str],
        outcome_tags: Mapping[str, str],
    ) -> None:
        """Record, soon, a step run that was a cache hit (its id lands in ``hit_ids``)."""
        outcome = _outcome(RunStatus.FINISHED, params, None, outcome_tags, 0.0)
        with self._lock:
            self._hits.append(RunStart(self._spec(name, tags, parent), outcome))
            self._soon()

    def flush(self) -> None:
        """Write whatever was kept back."""
        self._write([])

    def _soon(self) -> None:
        if self._timer is None:  # under the lock
            self._timer = threading.Timer(FLUSH_AFTER_S, self._flush_quietly)
            self._timer.daemon = True
            self._timer.start()

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except ShipyardError as error:  # kept for the next write, which reports it
            log.warning("pipeline runs not written yet: %s", error)

    def _write(self, starts: list[RunStart]) -> list[Run]:
        with self._lock:
            ends, hits = self._ends, self._hits
            self._ends, self._hits = [], []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not ends and not hits and not starts:
                return []
            try:
                runs = self.backend.write_runs(ends, [*hits, *starts], self.writer)
            except BaseException:
                self._ends, self._hits = ends + self._ends, hits + self._hits
                raise
            for start, run in zip(hits, runs, strict=False):
                self.hit_ids[start.spec.name] = run.id
            return runs[len(hits) :]

    def cached(self, key: str) -> StoredValue | None:
        """The output of a finished step run with this cache key, if it is still held."""
        found = self.backend.tagged_run(self.experiment, key, OUTPUT_TAG)
        if found is None or found[1] is None:
            return None
        try:
            stored = StoredValue.from_dict(json.loads(found[1]))
        except (ValueError, TypeError):
            return None
        # An output collected since (gc) or never pushed here is a miss: run it again.
        return stored if self.context.project_objects.has(Digest(stored.digest)) else None

    def children(self, pipeline_run: str) -> list[Run]:
        """The step runs of one pipeline run, in the order they started."""
        found: list[Run] = []
        token: str | None = None
        while True:
            page = self.backend.search_runs(
                experiments=[self.experiment],
                filter=f"parent_id = '{pipeline_run}'",
                order_by="start_time asc",
                limit=500,
                page_token=token,
            )
            found += page.runs
            token = page.next_page_token
            if not token:
                return found

    def step_outputs(self, pipeline_run: str) -> dict[str, StoredValue]:
        """Outputs of the finished steps of one pipeline run, by node (for resume)."""
        found: dict[str, StoredValue] = {}
        for run in self.children(pipeline_run):
            node, text = run.tags.get(NODE_TAG), run.tags.get(OUTPUT_TAG)
            if run.status is RunStatus.FINISHED and node and text:
                found[node] = StoredValue.from_dict(json.loads(text))
        return found
