"""Pipeline runs and step runs in the tracking store (through the tracking seam).

A pipeline run is a tracked run of the experiment named after the pipeline;
each step is a child run with its inputs, cache key, output, attempts and
timings as params, tags and metrics. Cache lookups are queries on those tags,
so the cache works the same embedded and against a team server.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shipyard.pipelines.cache import KEY_TAG, OUTPUT_TAG
from shipyard.pipelines.values import StoredValue
from shipyard.tracking.entities import LogBatch, Resources, Run, RunSpec, RunStatus, Writer

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


class Recorder:
    def __init__(self, context: Context, experiment: str) -> None:
        from shipyard.tracking.environment import host_name

        self.context = context
        self.backend: TrackingBackend = context.tracking
        self.experiment = experiment
        self.writer = Writer(host_name(), os.getpid())

    def start(self, name: str, tags: Mapping[str, str], parent: str | None = None) -> str:
        spec = RunSpec(
            experiment=self.experiment,
            name=name,
            parent_id=parent,
            tags=dict(tags),
            host=self.writer.host,
            pid=self.writer.pid,
        )
        return self.backend.create_run(spec).id

    def end(
        self,
        run_id: str,
        status: RunStatus,
        *,
        params: Mapping[str, str] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
        seconds: float = 0.0,
    ) -> None:
        now = int(time.time() * 1000)
        batch = LogBatch(
            metrics=[(run_id, k, float(v), 0, now) for k, v in (metrics or {}).items()],
            params=[(run_id, k, v) for k, v in (params or {}).items()],
            tags=[(run_id, k, v) for k, v in (tags or {}).items()],
        )
        self.backend.end_run(
            run_id, status, Resources(wall_seconds=seconds), batch=batch, writer=self.writer
        )

    def cached(self, key: str) -> StoredValue | None:
        """The output of a finished step run with this cache key, if its object is still held."""
        page = self.backend.search_runs(
            experiments=[self.experiment],
            filter=f"tags.{KEY_TAG} = '{key}' and status = 'finished'",
            limit=1,
        )
        for run in page.runs:
            text = run.tags.get(OUTPUT_TAG)
            if text is None:
                continue
            try:
                return StoredValue.from_dict(json.loads(text))
            except (ValueError, TypeError):
                continue
        return None

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
