"""CLI of experiment tracking: ``shipyard run -- CMD``, ``shipyard runs …``, ``experiments``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import RenderableType
from rich.markup import escape
from rich.measure import Measurement

from shipyard.cli.console import console, err_console, print_json, success
from shipyard.cli.errors import check_failed
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput
from shipyard.core.extras import require

if TYPE_CHECKING:
    from shipyard.tracking.backend import TrackingBackend
    from shipyard.tracking.entities import Run
    from shipyard.tracking.query.nodes import FieldKind

__all__ = ["experiments_app", "register", "runs_app"]

runs_app = typer.Typer(help="List, inspect and compare tracked runs.", no_args_is_help=True)
experiments_app = typer.Typer(help="Experiments: named groups of runs.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def print_wide(table: RenderableType) -> None:
    """Tables of runs are read across: off a terminal, never squeeze them into 80 columns."""
    if console.is_terminal:
        console.print(table)
        return
    width = Measurement.get(console, console.options.update_width(400), table).maximum
    saved = console.width
    console.width = max(saved, width)
    try:
        console.print(table)
    finally:
        console.width = saved


def backend_of(ctx: typer.Context) -> TrackingBackend:
    """In-process, or the team server's when SHIPYARD_URI / --uri names one."""
    from shipyard.tracking.backend import open_backend

    state: CliState = ctx.obj
    return open_backend(state.context())


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(
                f"{what} {item!r} is not KEY=VALUE", hint=f"e.g. --{what} team=growth"
            )
        pairs[key] = value
    return pairs


def run(
    ctx: typer.Context,
    command: Annotated[list[str], typer.Argument(help="The command to run, after --.")],
    experiment: Annotated[
        str, typer.Option("--experiment", "-e", help="Experiment to log the run in.")
    ] = "default",
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Run name (default: the program).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag KEY=VALUE (repeatable).")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Param KEY=VALUE (repeatable).")
    ] = None,
    capture: Annotated[
        bool,
        typer.Option(
            "--capture/--no-capture",
            help="Tee stdout/stderr into the run's artifacts (logs/*.log), or let the "
            "command have the terminal.",
        ),
    ] = True,
) -> None:
    """Run a command as a tracked run: exit code, output, resources, git state, cost.

    Example: shipyard run -e churn -- python train.py --epochs 5
    """
    from shipyard.tracking.command_runner import run_command
    from shipyard.tracking.render import cost_text, duration_text, status_text

    state: CliState = ctx.obj
    backend = backend_of(ctx)
    extra_env = {}
    if state.flags.get("store.uri"):
        extra_env["SHIPYARD_URI"] = str(state.flags["store.uri"])
    if state.flags.get("project.name"):
        extra_env["SHIPYARD_PROJECT"] = str(state.flags["project.name"])
    settings = state.context().settings
    scratch = settings.dot_dir / "tmp" if settings.dot_dir is not None else None
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    outcome = run_command(
        backend,
        command,
        experiment=experiment,
        name=name,
        tags=_pairs(tag, "tag"),
        params=_pairs(param, "param"),
        folder=settings.workspace,
        extra_env=extra_env,
        capture=capture,
        scratch=scratch,
    )
    usage = outcome.resources
    cost = backend.get_run(outcome.run.id).run.cost
    err_console.print(
        f"[bold]run {outcome.run.id}[/] {status_text(outcome.status)} "
        f"(exit {outcome.exit_code}) in {duration_text(usage.wall_seconds)} · "
        f"cpu {usage.cpu_seconds:.1f} s · cost {cost_text(cost)}"
    )
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


@runs_app.command("ls")
def list_runs(
    ctx: typer.Context,
    experiment: Annotated[
        list[str] | None,
        typer.Option("--experiment", "-e", help="Only runs of this experiment (repeatable)."),
    ] = None,
    filter: Annotated[
        str,
        typer.Option(
            "--filter", "-f", help="e.g. \"metrics.accuracy > 0.9 and params.model = 'lr'\""
        ),
    ] = "",
    order_by: Annotated[
        str, typer.Option("--order-by", "-o", help='e.g. "metrics.f1 desc" (default: newest).')
    ] = "",
    limit: Annotated[int, typer.Option("--limit", "-n", help="Runs per page.")] = 20,
    page_token: Annotated[
        str | None, typer.Option("--page-token", help="Continue after a previous page.")
    ] = None,
    columns: Annotated[
        str,
        typer.Option("--columns", "-c", help='Extra columns, e.g. "metrics.f1, params.C".'),
    ] = "",
    as_json: JsonOption = False,
) -> None:
    """List runs, newest first, optionally filtered and ordered."""
    from shipyard.tracking.render import PLAIN_ROWS, runs_lines, runs_table

    page = backend_of(ctx).search_runs(
        experiments=experiment or [],
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )
    if as_json:
        print_json(page.to_dict())
        return
    if not page.runs:
        console.print("No runs match." if filter else "No runs yet: try `shipyard run -- CMD`.")
        return
    chosen = _columns(columns, filter, order_by, page.runs)
    if len(page.runs) > PLAIN_ROWS or not console.is_terminal:  # the same text, minus Rich's cost
        console.file.write("\n".join(runs_lines(page.runs, chosen)) + "\n")
    else:
        print_wide(runs_table(page.runs, chosen))
    if page.next_page_token:
        console.print(f"[dim]more runs: --page-token {page.next_page_token}[/]")


def _columns(
    columns: str, filter: str, order_by: str, runs: tuple[Run, ...]
) -> list[tuple[FieldKind, str]]:
    """Columns asked for, else the fields the filter and ordering name, else a few metrics."""
    from shipyard.tracking.query import parse_filter, parse_order_by
    from shipyard.tracking.query.nodes import And, FieldKind, Not, Or

    if columns:
        chosen = [k.field for k in parse_order_by(columns)]
        return [(f.kind, f.key) for f in chosen if f.kind is not FieldKind.ATTRIBUTE]
    picked: list[tuple[FieldKind, str]] = []

    def add(kind: FieldKind, key: str) -> None:
        if kind is not FieldKind.ATTRIBUTE and (kind, key) not in picked:
            picked.append((kind, key))

    for key in parse_order_by(order_by):
        add(key.field.kind, key.field.key)
    stack = [parse_filter(filter)]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, And | Or):
            stack.extend(reversed(node.items))
        elif isinstance(node, Not):
            stack.append(node.item)
        else:
            add(node.field.kind, node.field.key)
    for metric in sorted({k for r in runs for k in r.metrics}):
        if len(picked) >= 5:
            break
        add(FieldKind.METRIC, metric)
    return picked


@runs_app.command("show")
def show_run(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix of 6+ characters).")],
    as_json: JsonOption = False,
) -> None:
    """Show one run: params, metrics, tags, inputs, git state, resources and cost."""
    from shipyard.tracking.render import run_panel

    detail = backend_of(ctx).get_run(run_id)
    if as_json:
        print_json(detail.to_dict())
        return
    console.print(run_panel(detail))


@runs_app.command("compare")
def compare_runs(
    ctx: typer.Context,
    run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids (or prefixes).")],
    diff: Annotated[bool, typer.Option("--diff", help="Only rows that differ.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Params and metrics of runs side by side, differences highlighted."""
    from shipyard.tracking.render import compare_table

    if len(run_ids) < 2:
        raise InvalidInput("compare needs at least two runs", hint="shipyard runs compare ID ID…")
    runs = backend_of(ctx).get_runs(run_ids)
    if as_json:
        print_json([r.to_dict() for r in runs])
        return
    print_wide(compare_table(runs, only_differences=diff))


@runs_app.command("history")
def metric_history(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    key: Annotated[str, typer.Argument(help="Metric name.")],
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=1, max=10_000, help="Rows: the first and last values."),
    ] = 20,
    every: Annotated[bool, typer.Option("--all", help="Every value, as a long table.")] = False,
    buckets: Annotated[
        int | None,
        typer.Option(
            "--buckets", "-b", min=1, max=10_000, help="Downsampled: N buckets of equal steps."
        ),
    ] = None,
    from_step: Annotated[int | None, typer.Option("--from-step", help="From this step.")] = None,
    to_step: Annotated[int | None, typer.Option("--to-step", help="To this step.")] = None,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV for scripts.")] = False,
) -> None:
    """One metric of a run: its first and last values, all of them, or downsampled.

    --json, --csv and --all stream: any length prints in constant memory.
    """
    require("tables", "metric histories", "numpy")
    from shipyard.tracking.history_output import HistoryQuery, show_history

    if as_json and as_csv:
        raise InvalidInput("--json and --csv cannot be given together")
    query = HistoryQuery(run_id, key, from_step, to_step)
    show_history(backend_of(ctx), query, limit=limit, every=every, buckets=buckets,
                 output="json" if as_json else "csv" if as_csv else "table")  # fmt: skip


@runs_app.command("delete")
def delete_runs(
    ctx: typer.Context,
    run_ids: Annotated[list[str], typer.Argument(help="Run ids (or unique prefixes).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete runs and everything they logged."""
    backend = backend_of(ctx)
    ids = [r.id for r in backend.get_runs(run_ids)]  # unknown ids fail before asking
    if not yes:
        typer.confirm(f"Delete {len(ids)} run(s) and everything they logged?", abort=True)
    count = backend.delete_runs(ids)
    success(f"deleted {count} run(s)")


@runs_app.command("sync")
def sync_runs(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None, typer.Argument(help="Spool files (default: every one found).")
    ] = None,
    discard_refused: Annotated[
        bool, typer.Option("--discard-refused", help="Drop values the store refused.")
    ] = False,
    other_token: Annotated[
        bool,
        typer.Option(
            "--other-token",
            help="Replay with another token than the one that logged them "
            "(values the server has already may be stored twice).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Send logged values kept in spool files (server unreachable) and end their runs."""
    from shipyard.tracking.sync import describe, find_spools, sync_spool

    state: CliState = ctx.obj
    context = state.context()
    backend = backend_of(ctx)
    paths = files or find_spools(backend)
    reports = [sync_spool(backend, context, path, discard_refused=discard_refused,
                          other_token=other_token) for path in paths]  # fmt: skip
    if as_json:
        print_json([r.to_dict() for r in reports])
    elif not reports:
        console.print("No spool files: every logged value has been stored.")
    for report in [] if as_json else reports:
        if report.done:
            success(describe(report))
        else:
            err_console.print(f"[yellow]![/] {escape(describe(report))}")
    if not all(r.done for r in reports):
        raise check_failed()


@experiments_app.command("ls")
def list_experiments(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Experiments of the project, with their run count and total cost."""
    from shipyard.tracking.render import experiments_table

    experiments = backend_of(ctx).list_experiments()
    if as_json:
        print_json([e.to_dict() for e in experiments])
        return
    if not experiments:
        console.print("No experiments yet: start a run with `shipyard run -- CMD`.")
        return
    print_wide(experiments_table(experiments))


def register(app: typer.Typer) -> None:
    app.command(
        context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True}
    )(run)
    from shipyard.tracking import artifact_commands

    artifact_commands.add_to(runs_app)
    app.add_typer(runs_app, name="runs")
    app.add_typer(experiments_app, name="experiments")
