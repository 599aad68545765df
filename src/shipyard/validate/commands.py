"""CLI commands of data validation: ``shipyard validate infer|run``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.console import console, print_json, success
from shipyard.cli.errors import check_failed
from shipyard.core.errors import AlreadyExists
from shipyard.core.extras import require

__all__ = ["validate_app"]

validate_app = typer.Typer(
    help="Check data against a suite of rules (types, nulls, ranges, categories, patterns).",
    no_args_is_help=True,
)


@validate_app.command("infer")
def infer_command(
    data: Annotated[Path, typer.Argument(help="A CSV or Parquet file to draft the suite from.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the suite YAML here (default: stdout)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Suite name (default: file name).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing output file.")
    ] = False,
    rows: Annotated[
        bool,
        typer.Option(
            "--rows",
            help="Also require half to twice this data's row count (only if every batch "
            "checked is about as large).",
        ),
    ] = False,
) -> None:
    """Draft a human-editable YAML suite from data."""
    require("tables", "data validation")
    from shipyard.profiling.progressbar import row_progress
    from shipyard.validate.inference import infer_suite

    if output is not None and output.exists() and not force:
        raise AlreadyExists(f"{output} exists already", hint="pass --force to overwrite it")
    with row_progress(f"profiling {data.name}") as progress:
        suite = infer_suite(data, name=name, progress=progress, rows=rows)
    header = (
        f"Shipyard validation suite drafted by `shipyard validate infer` from {data.name}.\n"
        "Edit freely: loosen bounds, delete rules you do not want, add your own.\n"
        f"Check data with: shipyard validate run {output.name if output else 'suite.yaml'} DATA"
    )
    text = suite.to_yaml(header)
    if output is None:
        console.file.write(text)
        return
    from shipyard.profiling.files import write_text_atomic

    write_text_atomic(output, text)
    success(f"suite with {len(suite.columns)} columns written to {output}")


@validate_app.command("run")
def run_command(
    suite: Annotated[Path, typer.Argument(help="The suite YAML file.")],
    data: Annotated[Path, typer.Argument(help="A CSV or Parquet file to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check a file against a suite; exit 1 when any rule fails."""
    require("tables", "data validation")
    from shipyard.profiling.progressbar import row_progress
    from shipyard.validate.render import render_result
    from shipyard.validate.runner import run_suite
    from shipyard.validate.suite import load_suite

    rules = load_suite(suite)
    with row_progress(f"checking {data.name}") as progress:
        result = run_suite(rules, data, progress=progress)
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(render_result(result))
    if not result.passed:
        raise check_failed()
