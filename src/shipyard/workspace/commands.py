"""CLI commands of the workspace: init, status, doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipyard.cli.console import console, human_bytes, print_json, success, warn
from shipyard.cli.errors import check_failed
from shipyard.cli.state import CliState
from shipyard.core.principal import LOCAL_OWNER
from shipyard.workspace.doctor import Verdict

__all__ = ["register"]

_VERDICT_STYLE = {Verdict.OK: "green", Verdict.WARN: "yellow", Verdict.FAIL: "bold red"}


def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None, typer.Argument(help="Folder to initialise (default: the current one).")
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Project name (default: folder name).")
    ] = None,
) -> None:
    """Create a Shipyard workspace (.shipyard/) in a folder, usually a git repository."""
    from shipyard.workspace.create import init_workspace

    state: CliState = ctx.obj
    root = path if path is not None else state.start_dir
    settings = state.context().settings
    result = init_workspace(
        root,
        LOCAL_OWNER,
        project=project or state.flags.get("project.name"),
        uri=settings.store.uri,
    )
    success(f"Initialised a Shipyard workspace in {result.root} (project {result.project!r})")
    console.print(f"  metadata store: {escape(result.metadata_uri)}")
    if result.gitignore_updated:
        console.print("  .gitignore: keeps .shipyard/ local except config.toml")
    if not result.in_git_repository:
        warn("not inside a git repository: run `git init` so pointer files can be committed")
    console.print("Next: [bold]shipyard status[/] · [bold]shipyard doctor[/]")


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show what this workspace holds."""
    from shipyard.workspace.status import collect_status

    state: CliState = ctx.obj
    info = collect_status(state.context())
    if as_json:
        print_json(info.to_dict())
        return
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("workspace", escape(str(info.workspace or "none (external metadata store)")))
    table.add_row("project", escape(info.project))
    table.add_row("metadata store", escape(info.metadata_store))
    table.add_row("schema", escape(info.schema_revision or "none"))
    table.add_row("projects", escape(", ".join(info.projects) or "none"))
    for label, count in info.counts.items():
        table.add_row(label, f"{count:,}")
    if info.object_store is not None:
        table.add_row("object store", escape(info.object_store))
    if info.objects is not None:
        data = info.objects
        if "error" in data:
            table.add_row("objects", f"[red]{escape(str(data['error']))}[/]")
        else:
            lock = ", encrypted" if data["encrypted"] else ""
            table.add_row(
                "objects",
                f"{data['records']:,} ({data['packed']:,} in {data['packs']:,} packs), "
                f"{human_bytes(int(str(data['bytes'])))}{lock}",
            )
    if info.last_event is not None:
        when, action, who = info.last_event
        table.add_row(
            "last change", f"{when:%Y-%m-%d %H:%M:%S} UTC  {escape(action)} by {escape(who)}"
        )
    console.print(table)


def doctor(ctx: typer.Context) -> None:
    """Check configuration, metadata store, schema, object folder and installed extras."""
    from shipyard.workspace.doctor import run_checks

    state: CliState = ctx.obj
    checks = run_checks(state.cwd, flags=state.flags)
    table = Table(show_header=True, header_style="bold")
    table.add_column("check")
    table.add_column("verdict")
    table.add_column("detail", overflow="fold")
    for check in checks:
        style = _VERDICT_STYLE[check.verdict]
        table.add_row(check.name, f"[{style}]{check.verdict.value}[/]", escape(check.detail))
    console.print(table)
    failed = [c for c in checks if c.verdict is Verdict.FAIL]
    if failed:
        console.print(f"[bold red]{len(failed)} check(s) failed.[/]")
        raise check_failed()
    console.print("[green]Everything Shipyard needs is in place.[/]")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(status)
    app.command()(doctor)
