"""``shipyard runs artifacts`` and ``runs download``: a run's files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, print_json, success
from shipyard.cli.state import CliState
from shipyard.tracking.commands import JsonOption, backend_of, print_wide

__all__ = ["add_to"]


def list_artifacts(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    as_json: JsonOption = False,
) -> None:
    """List a run's artifacts: path, size, BLAKE3 digest."""
    from rich.table import Table

    from shipyard.cli.console import human_bytes

    detail = backend_of(ctx).get_run(run_id)
    if as_json:
        print_json([a.to_dict() for a in detail.artifacts])
        return
    if not detail.artifacts:
        console.print(f"Run {detail.run.id} has no artifacts.")
        return
    table = Table(show_header=True, header_style="bold", show_edge=False)
    for column in ("path", "size", "digest", "logged"):
        table.add_column(column, overflow="fold")
    for art in detail.artifacts:
        table.add_row(
            escape(art.path),
            human_bytes(art.size),
            art.digest[:16] + "…",
            art.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    print_wide(table)


def download_artifacts(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    path: Annotated[
        str | None, typer.Argument(help="An artifact file or folder (default: all of them).")
    ] = None,
    dest: Annotated[
        Path,
        typer.Option("--dest", "-d", "--output", "-o", help="Folder to write into (paths kept)."),
    ] = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Download a run's artifacts, each verified against its digest."""
    from shipyard.runs import download_artifacts as download

    state: CliState = ctx.obj
    written = download(run_id, dest, path, context=state.context())
    if as_json:
        print_json([str(p) for p in written])
        return
    for target in written:
        console.print(escape(str(target)))
    success(f"downloaded {len(written)} artifact(s)")


def add_to(runs_app: typer.Typer) -> None:
    runs_app.command("artifacts")(list_artifacts)
    runs_app.command("download")(download_artifacts)
