"""CLI commands of monitoring: ``shipyard monitor drift|profile``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.console import console, print_json, success
from shipyard.cli.errors import check_failed
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput
from shipyard.core.extras import require
from shipyard.monitoring.options import DEFAULT_MIN_SAMPLE, MIN_SAMPLE_HELP

__all__ = ["monitor_app"]

monitor_app = typer.Typer(
    help="Watch data and models in production: drift, live monitors, schedules.",
    no_args_is_help=True,
)


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise InvalidInput(f"--{what} takes NAME=VALUE, got {value!r}")
        out[key.strip()] = item.strip()
    return out


def _names(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(n.strip() for n in value.split(",") if n.strip())


@monitor_app.command("drift")
def drift_command(
    ctx: typer.Context,
    reference: Annotated[
        str, typer.Argument(help="Reference data: CSV, Parquet, or a saved profile (.json).")
    ],
    current: Annotated[str, typer.Argument(help="Current data: CSV, Parquet or a saved profile.")],
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the report as JSON to this file ('-' for stdout)."),
    ] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    prediction: Annotated[
        str | None, typer.Option("--prediction", help="Model output column: test it for drift too.")
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Only these features (comma-separated).")
    ] = None,
    ignore: Annotated[
        str | None, typer.Option("--ignore", help="Leave these columns out (comma-separated).")
    ] = None,
    drift_share: Annotated[
        float,
        typer.Option("--drift-share", help="Share of drifted features that is dataset drift."),
    ] = 0.5,
    threshold: Annotated[
        list[str] | None,
        typer.Option("--threshold", help="TEST=VALUE, e.g. psi=0.2 or ks=0.01 (repeatable)."),
    ] = None,
    test: Annotated[
        list[str] | None,
        typer.Option("--test", help="COLUMN=TEST: force a test for one column (repeatable)."),
    ] = None,
    numeric_test: Annotated[
        str | None,
        typer.Option(
            "--numeric-test",
            help="One test for every numeric feature (ks, wasserstein, psi, jensenshannon).",
        ),
    ] = None,
    categorical_test: Annotated[
        str | None,
        typer.Option(
            "--categorical-test",
            help="One test for every categorical feature (chisquare, psi, jensenshannon).",
        ),
    ] = None,
    small_sample: Annotated[
        int,
        typer.Option(
            "--small-sample", help="Up to this many values, use p-value tests (KS, chi-square)."
        ),
    ] = 1000,
    min_sample: Annotated[int, typer.Option("--min-sample", help=MIN_SAMPLE_HELP)] = (
        DEFAULT_MIN_SAMPLE
    ),
    multivariate: Annotated[
        bool, typer.Option("--multivariate/--no-multivariate", help="Run the domain classifier.")
    ] = True,
) -> None:
    """Compare CURRENT data with a REFERENCE; exit 1 when dataset-level drift is found."""
    require("monitor", "drift")
    from shipyard.monitoring.options import DriftOptions
    from shipyard.monitoring.render import render_report
    from shipyard.monitoring.service import drift
    from shipyard.profiling.progressbar import row_progress

    thresholds: dict[str, float] = {}
    for name, value in _pairs(threshold or [], "threshold").items():
        try:
            thresholds[name] = float(value)
        except ValueError:
            raise InvalidInput(f"--threshold {name}= needs a number, got {value!r}") from None
    options = DriftOptions(
        thresholds=thresholds,
        small_sample=small_sample,
        min_sample=min_sample,
        numeric_test=numeric_test,
        categorical_test=categorical_test,
        column_tests=_pairs(test or [], "test"),
        drift_share=drift_share,
        columns=_names(columns),
        ignore=_names(ignore) or (),
        prediction=prediction,
        multivariate=multivariate,
    )
    state: CliState = ctx.obj
    with row_progress("profiling") as progress:
        report = drift(reference, current, options, context=state.context(), progress=progress)
    to_stdout = json_out is not None and str(json_out) == "-"
    if json_out is not None:
        if to_stdout:
            print_json(report.to_dict())
        else:
            import json

            from shipyard.profiling.files import write_text_atomic

            write_text_atomic(json_out, json.dumps(report.to_dict(), indent=2) + "\n")
    if html_out is not None:
        from shipyard.monitoring.html import write_html

        write_html(report, html_out)
    if not to_stdout:
        console.print(render_report(report))
        if json_out is not None:
            success(f"JSON report written to {json_out}")
        if html_out is not None:
            success(f"HTML report written to {html_out}")
    if report.drift_detected:
        raise check_failed()


@monitor_app.command("profile")
def profile_command(
    data: Annotated[
        Path, typer.Argument(help="A CSV or Parquet file (or a folder of Parquet files).")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Save the profile JSON here (a drift reference)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the profile JSON on stdout.")
    ] = False,
    sample_rows: Annotated[
        int, typer.Option("--sample-rows", help="Rows kept for the multivariate drift check.")
    ] = 1000,
) -> None:
    """Profile a table in one streaming pass: schema, nulls, statistics, quantiles, top values."""
    require("tables", "profiles", "pyarrow", "numpy")
    from shipyard.profiling.profiler import profile_file
    from shipyard.profiling.progressbar import row_progress
    from shipyard.profiling.render import render_profile

    if sample_rows < 0:
        raise InvalidInput("--sample-rows cannot be negative")
    with row_progress(f"profiling {data.name}") as progress:
        profile = profile_file(data, progress, sample_rows=sample_rows)
    if as_json:
        print_json(profile.to_dict())
        return
    console.print(render_profile(profile))
    if output is not None:
        profile.save(output)
        success(f"profile written to {output} ({output.stat().st_size / 1024:.0f} KiB)")


def _register_live() -> None:
    from shipyard.monitoring.live.commands import register

    register(monitor_app)


_register_live()
