"""What the tasks of an exported Airflow DAG call (see :mod:`shipyard.pipelines.airflow`).

Each function opens the workspace the DAG was exported from, so a task runs a
step exactly as ``shipyard pipeline run`` would: the same cache key, the same
child run under the pipeline run, the same object store. Airflow owns
retries and timeouts here, so a step makes one attempt per task try. Step
outputs travel between tasks as XComs holding only where the value is stored
(kind, digest, size), never the value.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ShipyardError

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.pipelines.definition import Pipeline

__all__ = ["begin", "finish", "step"]


class StepFailed(ShipyardError):
    """A step failed inside an Airflow task (Airflow retries the task if it may)."""


def _open(workspace: str, reference: str) -> tuple[Context, Pipeline]:
    from shipyard.context import open_context
    from shipyard.pipelines.loading import load_pipeline

    os.chdir(workspace)
    if workspace not in sys.path:
        sys.path.insert(0, workspace)
    ctx = open_context(Path(workspace))
    return ctx, load_pipeline(reference, Path(workspace))


def begin(workspace: str, reference: str, params: Mapping[str, Any], why: str) -> str:
    """Start the pipeline run; its id goes to every step task."""
    from shipyard.pipelines.record import (
        PIPELINE_TAG,
        REFERENCE_TAG,
        TRIGGER_TAG,
        Recorder,
    )

    ctx, pipeline = _open(workspace, reference)
    with ctx:
        pipeline.plan(params)  # bad parameters fail here, before anything is recorded
        tags = {PIPELINE_TAG: pipeline.name, REFERENCE_TAG: pipeline.reference, TRIGGER_TAG: why}
        return Recorder(ctx, pipeline.name).start(pipeline.name, tags)


def step(
    workspace: str,
    reference: str,
    params: Mapping[str, Any],
    node: str,
    run_id: str,
    upstream: Mapping[str, Mapping[str, Any] | None],
) -> dict[str, Any]:
    """Run one step (from cache when unchanged); returns where its output is stored."""
    from shipyard.pipelines.pool import InProcess
    from shipyard.pipelines.record import Recorder
    from shipyard.pipelines.runner import Options, _run_step
    from shipyard.pipelines.values import StoredValue

    ctx, pipeline = _open(workspace, reference)
    with ctx:
        planned = pipeline.plan(params).get(node)
        inputs = {
            name: StoredValue.from_dict(dict(upstream[name] or {}))
            for name in planned.upstream()
            if name not in planned.after
        }
        options = Options.default(ctx)
        recorder = Recorder(ctx, pipeline.name)
        result = _run_step(planned, inputs, recorder, InProcess(ctx), options, run_id, retries=0)
        recorder.flush()
        if result.output is None:
            raise StepFailed(result.error or f"step {node!r} failed")
        return result.output.to_dict()


def finish(workspace: str, reference: str, params: Mapping[str, Any], run_id: str) -> None:
    """End the pipeline run: finished when every step has a finished run, else failed."""
    import json

    from shipyard.pipelines.record import CACHE_TAG, NODE_TAG, Recorder
    from shipyard.tracking.entities import RunStatus

    ctx, pipeline = _open(workspace, reference)
    with ctx:
        plan = pipeline.plan(params)
        planned = {s.id for s in plan.steps}
        recorder = Recorder(ctx, pipeline.name)
        children = recorder.children(run_id)
        finished = [c for c in children if c.status is RunStatus.FINISHED]
        missing = sorted(planned - {c.tags.get(NODE_TAG) for c in finished})
        cached = sum(1 for c in finished if c.tags.get(CACHE_TAG) == "hit")
        counts = {
            "steps_finished": float(len(finished) - cached),
            "steps_cached": float(cached),
            "steps_failed": float(len(missing)),
        }
        status = RunStatus.FAILED if missing else RunStatus.FINISHED
        params = {k: json.dumps(v) for k, v in plan.params.items()}
        recorder.end(run_id, status, params=params, metrics=counts)
        if missing:
            raise StepFailed(
                f"pipeline {pipeline.name} failed: {', '.join(missing)} did not finish"
            )
