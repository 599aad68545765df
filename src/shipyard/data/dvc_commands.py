"""CLI: ``shipyard data import-dvc`` (registered by :mod:`shipyard.data.commands`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, human_bytes, print_json, success, warn
from shipyard.cli.state import CliState
from shipyard.core.principal import Role

__all__ = ["import_dvc_command"]


def import_dvc_command(
    ctx: typer.Context,
    history: Annotated[
        bool,
        typer.Option("--history", help="Also import every version in git history (for --rev)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Turn a DVC repository's .dvc files and dvc.lock outputs into .yard pointers, taking
    the data from DVC's cache or a local remote, each file checked against DVC's md5."""
    from shipyard.cli.progress import progress_bars
    from shipyard.data.dvc_import import import_dvc
    from shipyard.data.workspace import DataWorkspace

    state: CliState = ctx.obj
    context = state.context()
    context.principal.require(Role.CONTRIBUTOR, context.project, "add dataset versions")
    with DataWorkspace(context) as ws, progress_bars(not as_json) as bars:
        result = import_dvc(ws, history=history, progress=bars)
    if as_json:
        print_json(result.to_dict())
        return
    for remote in result.skipped_remotes:
        warn(f"DVC remote {remote} is not a local folder: not read (run `dvc pull` first)")
    for item in result.missing:
        warn(f"{item} is in neither the DVC cache nor a local remote: that version is not imported")
    changed = [name for name, _, was_changed in result.outputs if was_changed]
    success(
        f"imported {len(result.outputs)} DVC outputs ({len(changed)} new pointers), "
        f"{result.contents} contents ({human_bytes(result.bytes)}) verified by md5"
        + (f", {result.revisions} commits read" if history else "")
    )
    if changed:
        pointers = " ".join(f"{n}.yard" for n in changed)
        console.print(f"[dim]next: git add .yard-dvc.json {escape(pointers)} && git commit[/]")
