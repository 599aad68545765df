"""CLI of pipelines: ``shipyard pipeline run|ls|show|graph|resume``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, err_console, print_json, print_wide, success
from shipyard.cli.errors import EXIT_USAGE, check_failed
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput

if TYPE_CHECKING:
    from shipyard.pipelines.runner import PipelineResult
    from shipyard.tracking.entities import Run

__all__ = ["pipeline_app"]

pipeline_app = typer.Typer(
    help="Pipelines: steps with a cache, retries and timeouts, tracked as runs.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@pipeline_app.command("run")
def run_command(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="MODULE:NAME or FILE.py:NAME of the pipeline.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Parameter NAME=VALUE (repeatable).")
    ] = None,
    executor: Annotated[
        str, typer.Option("--executor", help="Where steps run: local (processes here) or ray.")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Ray cluster to use (default: RAY_ADDRESS, or local)."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Run every step, even unchanged ones.")
    ] = False,
    max_parallel: Annotated[
        int | None,
        typer.Option("--max-parallel", min=1, help="Steps at once (default: CPU count)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a pipeline: unchanged steps come from the cache, independent ones run at once."""
    from shipyard.pipelines.loading import load_pipeline, parse_params
    from shipyard.pipelines.runner import run_pipeline

    state: CliState = ctx.obj
    pipeline = load_pipeline(reference, state.start_dir)
    params = parse_params(pipeline, param or [])
    with console.status(f"running pipeline {pipeline.name}", spinner="dots"):
        result = run_pipeline(
            pipeline, params, context=state.context(), use_cache=not no_cache,
            max_parallel=max_parallel, executor=executor, ray_address=ray_address,
        )  # fmt: skip
    _report(result, as_json)


@pipeline_app.command("resume")
def resume_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The pipeline run to resume.")],
    max_parallel: Annotated[int | None, typer.Option("--max-parallel", min=1)] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a failed pipeline again: its finished steps are kept, the rest run."""
    from shipyard.pipelines.loading import load_pipeline
    from shipyard.pipelines.record import REFERENCE_TAG, Recorder
    from shipyard.pipelines.runner import run_pipeline

    state: CliState = ctx.obj
    context = state.context()
    run = _pipeline_run(context.tracking.get_run(run_id).run)
    pipeline = load_pipeline(run.tags[REFERENCE_TAG], state.start_dir)
    params = {name: json.loads(text) for name, text in run.params.items()}
    keep = Recorder(context, run.experiment).step_outputs(run.id)
    with console.status(f"resuming pipeline {pipeline.name}", spinner="dots"):
        result = run_pipeline(
            pipeline, params, context=context, keep=keep, max_parallel=max_parallel,
            trigger=f"resume of {run.id}",
        )  # fmt: skip
    _report(result, as_json)


@pipeline_app.command("ls")
def ls_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: JsonOption = False,
) -> None:
    """Pipeline runs, newest first."""
    from rich.table import Table

    state: CliState = ctx.obj
    page = state.context().tracking.search_runs(
        filter="tags.shipyard.pipeline is not null and parent_id is null",
        order_by="start_time desc",
        limit=limit,
    )
    if as_json:
        print_json([_summary(run) for run in page.runs])
        return
    table = Table(show_header=True, header_style="bold", show_edge=False)
    for column in ("run", "pipeline", "status", "started", "steps", "trigger"):
        table.add_column(column)
    for run in page.runs:
        info = _summary(run)
        table.add_row(
            run.id[:12], escape(run.experiment), run.status.value,
            run.start_time.strftime("%Y-%m-%d %H:%M:%S"), str(info["steps"]),
            escape(str(info["trigger"])),
        )  # fmt: skip
    print_wide(table)


@pipeline_app.command("show")
def show_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="A pipeline run (a unique prefix will do).")],
    as_json: JsonOption = False,
) -> None:
    """Each step of a pipeline run: state, duration, attempts, cache."""
    from rich.table import Table

    from shipyard.pipelines.record import Recorder

    state: CliState = ctx.obj
    context = state.context()
    recorder = Recorder(context, "")
    run = _pipeline_run(recorder.backend.get_run(run_id).run)
    steps = [_step_row(child) for child in Recorder(context, run.experiment).children(run.id)]
    if as_json:
        print_json({**_summary(run), "steps": [asdict(row) for row in steps]})
        return
    console.print(f"pipeline [bold]{escape(run.experiment)}[/] run {run.id}: {run.status.value}")
    table = Table(show_header=True, header_style="bold", show_edge=False)
    for column in ("step", "state", "seconds", "attempts", "cache", "error"):
        table.add_column(column)
    for row in steps:
        table.add_row(
            escape(row.step), row.state, f"{row.seconds:.2f}", str(row.attempts), row.cache,
            escape(row.error[:120]),
        )  # fmt: skip
    print_wide(table)


@pipeline_app.command("graph")
def graph_command(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="MODULE:NAME or FILE.py:NAME of the pipeline.")],
    fmt: Annotated[str, typer.Option("--format", help="mermaid, dot or svg.")] = "mermaid",
    param: Annotated[list[str] | None, typer.Option("--param", help="NAME=VALUE")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
) -> None:
    """Draw a pipeline's steps and how they connect (planned, not run)."""
    from shipyard.pipelines.loading import load_pipeline, parse_params
    from shipyard.pipelines.render import render_graph
    from shipyard.workspace.atomic import write_atomic

    state: CliState = ctx.obj
    pipeline = load_pipeline(reference, state.start_dir)
    text = render_graph(pipeline.plan(parse_params(pipeline, param or [])), fmt)
    if output is None:
        console.file.write(text)
        return
    write_atomic(output, text.encode())
    success(f"wrote {output}")


export_app = typer.Typer(help="Write a pipeline for another orchestrator.", no_args_is_help=True)
pipeline_app.add_typer(export_app, name="export")


@export_app.command("airflow")
def export_airflow_command(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="MODULE:NAME or FILE.py:NAME of the pipeline.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The DAGs folder.")] = Path("dags"),
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Default of a DAG parameter, NAME=VALUE.")
    ] = None,
) -> None:
    """Write an Apache Airflow 3 DAG whose tasks run the steps through Shipyard."""
    from shipyard.pipelines.airflow import export_airflow
    from shipyard.pipelines.loading import load_pipeline, parse_params

    state: CliState = ctx.obj
    context = state.context()
    pipeline = load_pipeline(reference, state.start_dir)
    workspace = context.settings.workspace or state.start_dir
    path = export_airflow(pipeline, workspace, output, parse_params(pipeline, param or []))
    success(f"wrote {path} (DAG shipyard_{pipeline.name}); put it in Airflow's dags folder")


def scheduler(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit (for cron).")] = False,
    interval: Annotated[
        str, typer.Option("--interval", help="Time between passes, e.g. 5s, 1m.")
    ] = "5s",
) -> None:
    """Start the pipelines configured in config.toml on their schedules and triggers."""
    from shipyard.core.durations import parse_duration
    from shipyard.core.extras import require
    from shipyard.pipelines.service import serve_scheduler

    require("monitor", "the scheduler", "croniter")
    state: CliState = ctx.obj
    context = state.context()
    if not context.settings.pipelines:
        raise InvalidInput(
            "no pipeline is configured for the scheduler",
            hint='add a [pipelines.NAME] table with pipeline = "MODULE:NAME" to config.toml',
        )
    seconds = parse_duration(interval).total_seconds()
    if seconds <= 0:
        raise InvalidInput(f"--interval must be positive, not {interval!r}")
    serve_scheduler(context, once=once, interval=seconds)


def _pipeline_run(run: Run) -> Run:
    from shipyard.pipelines.record import PIPELINE_TAG, REFERENCE_TAG

    if PIPELINE_TAG not in run.tags or REFERENCE_TAG not in run.tags or run.parent_id:
        raise InvalidInput(f"run {run.id} is not a pipeline run", hint="see `shipyard pipeline ls`")
    return run


def _summary(run: Run) -> dict[str, object]:
    from shipyard.pipelines.record import TRIGGER_TAG

    counts = {
        key.removeprefix("steps_"): int(point.value)
        for key, point in run.metrics.items()
        if key.startswith("steps_")
    }
    return {
        "run_id": run.id,
        "pipeline": run.experiment,
        "status": run.status.value,
        "start_time": run.start_time.isoformat(),
        "steps": ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "-",
        "trigger": run.tags.get(TRIGGER_TAG, ""),
    }


@dataclass(frozen=True)
class StepRow:
    step: str
    run_id: str
    state: str
    seconds: float
    attempts: int
    cache: str
    error: str


def _step_row(run: Run) -> StepRow:
    from shipyard.pipelines.record import CACHE_TAG, ERROR_TAG, NODE_TAG

    cache = run.tags.get(CACHE_TAG, "")
    attempts = run.metrics.get("attempts")
    return StepRow(
        step=run.tags.get(NODE_TAG, run.name),
        run_id=run.id,
        state="cached" if cache == "hit" else run.status.value,
        seconds=run.resources.wall_seconds,
        attempts=int(attempts.value) if attempts else 0,
        cache=cache,
        error=run.tags.get(ERROR_TAG, ""),
    )


def _report(result: PipelineResult, as_json: bool) -> None:
    rows = {node: r.state for node, r in result.steps.items()}
    if as_json:
        print_json({"run_id": result.run_id, "status": result.status.value, "steps": rows})
    else:
        for node, step in result.steps.items():
            note = f" ({step.error})" if step.error else ""
            console.print(f"  {escape(node)}: {step.state}{escape(note)}")
    if result.status.value != "finished":
        failed = [n for n, r in result.steps.items() if r.state == "failed"]
        err_console.print(
            f"error: pipeline {escape(result.pipeline)} failed at {escape(', '.join(failed))} "
            f"(run {result.run_id}); resume with `shipyard pipeline resume {result.run_id}`"
        )
        if any(r.bad_input for r in result.steps.values()):
            raise typer.Exit(EXIT_USAGE)  # a step was given or returned what it cannot take
        raise check_failed()
    if not as_json:
        cached = sum(1 for r in result.steps.values() if r.state == "cached")
        success(f"pipeline {result.pipeline} finished (run {result.run_id}; {cached} from cache)")
