"""CLI: ``shipyard migrate mlflow SOURCE``."""

from __future__ import annotations

from typing import Annotated

import typer

from shipyard.cli.console import console, print_json, success, warn
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput

__all__ = ["migrate_app", "register"]

migrate_app = typer.Typer(
    help="Import history from other tools (MLflow). For Shipyard archives, see `shipyard import`.",
    no_args_is_help=True,
)


@migrate_app.command("mlflow")
def mlflow(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            help="The MLflow tracking URI: sqlite:///mlflow.db, an mlruns folder, or http(s)://host."
        ),
    ],
    convert: Annotated[
        bool,
        typer.Option(
            "--convert",
            help="Convert model versions to a safe format where possible (else kept as written).",
        ),
    ] = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="With --convert: unpickle models too (runs their code: trusted stores only).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Import experiments, runs (every metric point, params, tags, artifacts) and registered
    models with their versions and aliases. Running it again imports only what is new.

    Model versions are kept as MLflow wrote them, marked as not in a safe format
    (loading them needs trust), unless --convert turns them into one."""
    from shipyard.cli.progress import progress_bars
    from shipyard.migrate.mlflow import migrate_mlflow, open_source

    state: CliState = ctx.obj
    if trust and not convert:
        raise InvalidInput(
            "--trust only matters with --convert: without it, models are kept as MLflow "
            "wrote them and nothing is unpickled",
            hint="add --convert, or leave --trust out",
        )
    store = open_source(source)
    try:
        with progress_bars(not as_json) as bars:
            summary = migrate_mlflow(
                state.context(), store, convert=convert, trusted=trust, progress=bars,
                warn=None if as_json else warn,
            )  # fmt: skip
    finally:
        store.close()
    if as_json:
        print_json(summary.to_dict())
        return
    runs, models = summary.runs, summary.models
    success(
        f"imported {runs.runs:,} runs ({runs.skipped:,} already there) in "
        f"{summary.experiments:,} experiments from {store.describe()}"
    )
    console.print(
        f"  {runs.metrics:,} metric points, {runs.params:,} params, {runs.tags:,} tags, "
        f"{runs.artifacts:,} artifacts ({runs.artifact_bytes:,} bytes)\n"
        f"  {models.versions:,} model versions ({models.versions_converted:,} converted to a "
        f"safe format) in {models.models:,} models "
        f"({models.versions_skipped:,} already there, {models.versions_refused:,} skipped), "
        f"{models.aliases:,} aliases"
    )
    if summary.warnings:
        console.print(f"  {len(summary.warnings):,} warnings (listed above)")


def register(app: typer.Typer) -> None:
    app.add_typer(migrate_app, name="migrate")
