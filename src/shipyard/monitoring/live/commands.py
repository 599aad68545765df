"""CLI of live monitoring: ``shipyard monitor run|schedule|status``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from shipyard.cli.console import console, err_console, print_json, success, warn
from shipyard.cli.errors import check_failed
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput
from shipyard.core.extras import require
from shipyard.monitoring.options import MIN_SAMPLE_HELP

if TYPE_CHECKING:
    from shipyard.core.monitors import MonitorConfig
    from shipyard.monitoring.live.schedule import Outcome
    from shipyard.monitoring.live.service import MonitorRun

__all__ = ["register"]


def _metrics(value: str) -> dict[str, float]:
    """``accuracy=0.93,f1=0.9`` or a JSON file of ``{"metric": number}`` (or ``{"metrics": …}``)."""
    from shipyard.core.monitors import parse_monitor

    path = Path(value)
    if path.suffix.lower() == ".json" or path.is_file():
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"cannot read baseline metrics from {value}: {exc}") from exc
        if isinstance(data, dict) and isinstance(data.get("metrics"), dict):
            data = data["metrics"]
    else:
        data = {}
        for part in value.split(","):
            name, sep, number = part.partition("=")
            try:
                data[name.strip()] = float(number)
            except ValueError:
                sep = ""
            if not sep:
                raise InvalidInput(f"--baseline-metrics takes METRIC=NUMBER,…; got {part!r}")
    parsed = parse_monitor("cli", {"model": "m", "baseline": data}, "--baseline-metrics")
    return dict(parsed.baseline)


def _config(state: CliState, model: str, overrides: dict[str, Any]) -> MonitorConfig:
    from shipyard.core.monitors import MonitorConfig

    configured = state.context().settings.monitors
    config = configured.get(model) or MonitorConfig(name=model.partition("@")[0], model=model)
    thresholds = overrides.pop("thresholds", {})
    given = {k: v for k, v in overrides.items() if v is not None}
    config = dataclasses.replace(config, **given)
    if thresholds:
        merged = dict(config.thresholds.tests) | thresholds.pop("tests", {})
        values = {k: v for k, v in thresholds.items() if v is not None}
        config = dataclasses.replace(
            config, thresholds=dataclasses.replace(config.thresholds, tests=merged, **values)
        )
    return config


def _write_outputs(run: MonitorRun, json_out: Path | None, html_out: Path | None) -> bool:
    from shipyard.monitoring.live.results_store import finite
    from shipyard.profiling.files import write_text_atomic

    to_stdout = json_out is not None and str(json_out) == "-"
    document = finite(run.result.to_dict())
    if json_out is not None:
        if to_stdout:
            print_json(document)
        else:
            write_text_atomic(json_out, json.dumps(document, indent=2) + "\n")
    if html_out is not None:
        from shipyard.monitoring.live.html import write_monitor_html

        write_monitor_html(run.result, html_out)
    return to_stdout


def _say_actions(run: MonitorRun) -> None:
    for outcome in run.webhooks:
        if outcome.ok:
            success(f"{run.event} posted to {outcome.target} (HTTP {outcome.status})")
        else:
            warn(f"webhook {outcome.target} failed after {outcome.attempts} tries: {outcome.error}")
    for problem in run.problems:
        warn(problem)
    if run.trigger is not None:
        t = run.trigger
        if t.ok:
            success(f"trigger {' '.join(t.command)} finished (exit 0, {t.seconds:.1f} s)")
        else:
            warn(f"trigger {' '.join(t.command)}: {t.error or f'exit {t.exit_code}'}")


def run_command(
    ctx: typer.Context,
    model: Annotated[
        str,
        typer.Argument(help="A monitor configured in \\[monitors.NAME], or a served model's name."),
    ],
    window: Annotated[
        str | None, typer.Option("--window", help="Traffic to look at, back from now (24h).")
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference", help="Reference: a profile (.json), CSV/Parquet, or DATASET@REV."
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline-metrics",
            help="Metrics at training: accuracy=0.93,f1=0.9 or a JSON file.",
        ),
    ] = None,
    suite: Annotated[
        Path | None, typer.Option("--suite", help="Validate live traffic against this suite.")
    ] = None,
    prediction: Annotated[
        str | None,
        typer.Option(
            "--prediction", help="Reference column the model's outputs are compared with."
        ),
    ] = None,
    bucket: Annotated[
        str | None, typer.Option("--bucket", help="Time bucket for metrics over time (1h).")
    ] = None,
    task: Annotated[
        str | None, typer.Option("--task", help="auto, classification or regression.")
    ] = None,
    positive_label: Annotated[
        str | None, typer.Option("--positive-label", help="The positive class (binary).")
    ] = None,
    drift_share: Annotated[
        float | None, typer.Option("--drift-share", help="Share of drifted features = drift.")
    ] = None,
    decay: Annotated[
        float | None,
        typer.Option("--max-decay", help="Relative worsening of a metric that is a breach."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the result as JSON ('-' for stdout).")
    ] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Store the result (gauges, history).")
    ] = True,
    notify: Annotated[
        bool, typer.Option("--notify/--no-notify", help="Post webhooks, run the trigger.")
    ] = True,
    min_sample: Annotated[
        int | None,
        typer.Option(
            "--min-sample",
            help=MIN_SAMPLE_HELP + " Default: the monitor's thresholds.min_sample (30).",
        ),
    ] = None,
) -> None:
    """Check a window of a model's live traffic for drift, bad data and decay; exit 1 on breach."""
    require("monitor", "monitors")
    from shipyard.core.durations import parse_duration
    from shipyard.monitoring.live.render import render_monitor

    if task is not None and task not in ("auto", "classification", "regression"):
        raise InvalidInput("--task is auto, classification or regression")
    if drift_share is not None and not 0 < drift_share <= 1:
        raise InvalidInput("--drift-share must be in (0, 1]")
    if min_sample is not None and min_sample < 0:
        raise InvalidInput("--min-sample cannot be negative")
    state: CliState = ctx.obj
    thresholds: dict[str, Any] = {"drift_share": drift_share, "performance_decay": decay}
    config = _config(
        state,
        model,
        {
            "window": parse_duration(window) if window else None,
            "reference": reference,
            "baseline": _metrics(baseline) if baseline else None,
            "suite": str(suite) if suite else None,
            "prediction": prediction,
            "bucket": parse_duration(bucket) if bucket else None,
            "task": task,
            "positive_label": positive_label,
            "thresholds": thresholds,
        },
    )
    context = state.context()
    with console.status(f"reading {escape(config.model_name)}'s inference log…"):
        run = context.monitoring.run(config, save=save, act=notify, min_sample=min_sample)
    to_stdout = _write_outputs(run, json_out, html_out)
    if not to_stdout:
        console.print(render_monitor(run.result))
        _say_actions(run)
        if json_out is not None:
            success(f"JSON result written to {json_out}")
        if html_out is not None:
            success(f"HTML report written to {html_out}")
    if run.result.breaches:
        raise check_failed()


def schedule_command(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(help="Monitors to run (default: every configured one).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Run each monitor once and exit (for cron jobs).")
    ] = False,
    max_runs: Annotated[
        int | None, typer.Option("--max-runs", min=1, help="Stop after this many runs.")
    ] = None,
) -> None:
    """Run configured monitors on their interval or cron schedule, in the foreground."""
    require("monitor", "monitors")
    import signal

    from shipyard.monitoring.live.schedule import Scheduler, pick

    state: CliState = ctx.obj
    context = state.context()
    configs = pick(dict(context.settings.monitors), names or [])

    def report(outcome: Outcome) -> None:
        if outcome.run is None:
            err_console.print(f"[bold red]✗[/] {escape(f'{outcome.monitor}: {outcome.error}')}")
            return
        result = outcome.run.result
        verdict = (
            f"[bold red]breach[/] ({', '.join(result.breach_kinds)})"
            if result.breaches
            else "[yellow]no traffic[/]"
            if not result.rows
            else "[yellow]not enough data for a drift verdict[/]"
            if result.status == "not_enough_data"
            else "[green]ok[/]"
        )
        console.print(
            f"{result.created_at} {escape(outcome.monitor)}: {verdict} · {result.rows:,} rows"
            + (f" · notified ({outcome.run.event})" if outcome.run.event else "")
        )
        _say_actions(outcome.run)

    scheduler = Scheduler(context, configs, report=report)
    if once:
        outcomes = scheduler.run_once()
        if any(o.error for o in outcomes):
            raise check_failed()
        return
    from shipyard.core.durations import format_duration

    for config in configs:
        schedule = f"{config.name}: {config.describe_schedule()}"
        console.print(f"[dim]{escape(schedule)}, window {format_duration(config.window)}[/]")
    previous = {s: signal.signal(s, lambda *_: scheduler.stop()) for s in _signals()}
    try:
        scheduler.run_forever(max_runs=max_runs)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _signals() -> list[Any]:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return []
    return [signal.SIGTERM, signal.SIGINT]


def status_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The newest result of every monitor of this project."""
    require("monitor", "monitors")
    from shipyard.monitoring.live.render import render_status

    state: CliState = ctx.obj
    context = state.context()
    results = context.monitoring.status(context.principal, context.project)
    if as_json:
        print_json({"monitors": [r.to_dict() for r in results]})
        return
    if not results:
        console.print("no monitor has run yet (shipyard monitor run MODEL)")
        return
    console.print(render_status(results))


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.command("schedule")(schedule_command)
    app.command("status")(status_command)
