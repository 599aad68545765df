"""``shipyard pipeline export airflow``: a pipeline as an Apache Airflow 3 DAG file.

One Airflow task per step, wired as the pipeline's data flow and ``after=``,
plus ``begin`` (starts the tracked pipeline run) and ``finish`` (ends it,
whatever happened, and fails the DAG run when a step did not finish). Each
step task calls :func:`shipyard.pipelines.airflow_tasks.step`, so the cache,
tracking and object store are Shipyard's own; the step's retries, back-off
and timeout become the task's ``retries``, ``retry_delay``,
``retry_exponential_backoff`` and ``execution_timeout``, and the pipeline's
schedule and parameters the DAG's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.pipelines.definition import Pipeline, PlannedStep

__all__ = ["dag_source", "export_airflow"]

_HEADER = '''"""Airflow DAG of the Shipyard pipeline {name} ({reference}).

Written by `shipyard pipeline export airflow`; export again after changing the pipeline.
Each task runs one step through Shipyard (its cache, tracked runs and object store) in
the workspace {workspace}.
"""

from datetime import datetime, timedelta

from airflow.sdk import DAG, Param, TriggerRule, get_current_context, task

from shipyard.pipelines import airflow_tasks as shipyard

WORKSPACE = {workspace!r}
PIPELINE = {reference!r}


def _params() -> dict:
    return dict(get_current_context()["params"])


with DAG(
    dag_id={dag_id!r},
    schedule={schedule!r},
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={{{params}}},
    tags=["shipyard"],
) as dag:

    @task(task_id="begin")
    def begin() -> str:
        why = "airflow " + str(get_current_context()["run_id"])
        return shipyard.begin(WORKSPACE, PIPELINE, _params(), why)

    @task(task_id="finish", trigger_rule=TriggerRule.ALL_DONE)
    def finish(pipeline_run: str) -> None:
        shipyard.finish(WORKSPACE, PIPELINE, _params(), pipeline_run)

    pipeline_run = begin()
'''

_STEP = """
    @task(
        task_id={node!r},
        retries={retries},
        retry_delay=timedelta(seconds={delay!r}),
        retry_exponential_backoff=2.0,
        execution_timeout={timeout},
    )
    def {ident}(pipeline_run: str, upstream: dict) -> dict:
        return shipyard.step(WORKSPACE, PIPELINE, _params(), {node!r}, pipeline_run, upstream)

    {var} = {ident}(pipeline_run, {{{upstream}}})
"""


def dag_source(pipeline: Pipeline, workspace: Path, params: Mapping[str, Any] | None = None) -> str:
    """The DAG file's text; ``params`` become the DAG's parameter defaults."""
    plan = pipeline.plan(params)
    defaults = ", ".join(f"{name!r}: Param({value!r})" for name, value in plan.params.items())
    parts = [
        _HEADER.format(
            name=pipeline.name,
            reference=pipeline.reference,
            workspace=str(workspace),
            dag_id=f"shipyard_{pipeline.name}".replace("-", "_"),
            schedule=pipeline.schedule,
            params=defaults,
        )
    ]
    parts += [_step(planned) for planned in plan.steps]
    every = ", ".join(_var(p.id) for p in plan.steps)
    parts.append(f"\n    [{every}] >> finish(pipeline_run)\n")
    return "".join(parts)


def _step(planned: PlannedStep) -> str:
    options = planned.step.options
    timeout = "None" if options.timeout is None else f"timedelta(seconds={options.timeout!r})"
    upstream = ", ".join(f"{node!r}: {_var(node)}" for node in planned.upstream())
    return _STEP.format(
        node=planned.id,
        retries=options.retries,
        delay=options.retry_delay,
        timeout=timeout,
        ident=f"step_{_ident(planned.id)}",
        var=_var(planned.id),
        upstream=upstream,
    )


def _ident(node: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in node)


def _var(node: str) -> str:
    return f"out_{_ident(node)}"


def export_airflow(
    pipeline: Pipeline, workspace: Path, folder: Path, params: Mapping[str, Any] | None = None
) -> Path:
    """Write the DAG into ``folder`` (made if missing); returns the file's path."""
    from shipyard.workspace.atomic import write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"shipyard_{pipeline.name.replace('-', '_').replace('.', '_')}.py"
    write_atomic(path, dag_source(pipeline, workspace.resolve(), params).encode())
    return path
