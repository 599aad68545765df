"""``shipyard export PROJECT -o FILE`` and ``shipyard import FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, human_bytes, print_json, success
from shipyard.cli.state import CliState
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput

__all__ = ["export_command", "import_command", "register"]

_JSON = typer.Option("--json", help="Print JSON for scripts.")


def export_command(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="The project to export.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The archive to write (.tar).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Write a project (runs, metrics, datasets, models, audit entries, objects) to one archive.

    Reads the metadata database and object store directly: run it in the
    workspace, or where the team server's database is reachable (--uri postgresql://…).
    """
    from shipyard.cli.progress import progress_bars
    from shipyard.core.project_names import check_project_name
    from shipyard.projects_io.export import export_project

    state: CliState = ctx.obj
    check_project_name(project)
    dest = output if output.is_absolute() else state.start_dir / output
    if dest.exists() and not force:
        raise InvalidInput(f"{output} exists", hint="choose another name, or pass --force")
    if not dest.parent.is_dir():
        raise InvalidInput(f"no folder {dest.parent} to write {output.name} in")
    context = state.context()
    with progress_bars(not as_json) as bars:
        summary = export_project(context.db, context.objects, project, dest, progress=bars)
    if as_json:
        print_json(
            {
                "path": str(summary.path),
                "archive": summary.archive_id.hex,
                "rows": summary.rows,
                "objects": summary.objects,
                "object_bytes": summary.object_bytes,
                "audit_entries": summary.audit_entries,
            }
        )
        return
    success(
        f"exported {escape(project)} to {escape(str(output))}: {summary.rows:,} rows, "
        f"{summary.objects:,} objects ({human_bytes(summary.object_bytes)}), "
        f"{summary.audit_entries:,} audit entries"
    )
    console.print(f"archive {summary.archive_id.hex} (check it with `import --expect`)")


def import_command(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="An archive written by `shipyard export`.")],
    expect: Annotated[
        str | None,
        typer.Option("--expect", help="Refuse the archive unless its id is this digest."),
    ] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Import a project archive into this store (checked whole before anything is written).

    Into the workspace, a database (--uri postgresql://… with objects.path), or a
    team server (--uri https://…, as an admin). Running it again does nothing; an
    interrupted import resumes.
    """
    from shipyard.cli.progress import progress_bars

    state: CliState = ctx.obj
    wanted = Digest.parse(expect) if expect is not None else None
    path = archive if archive.is_absolute() else state.start_dir / archive
    if not path.is_file():
        raise InvalidInput(f"no archive file {archive}")
    context = state.context()
    with progress_bars(not as_json) as bars:
        summary = context.project_imports.import_archive(path, expect=wanted, progress=bars)
    if as_json:
        print_json(summary.to_dict())
        return
    name = escape(summary.project)
    if summary.already:
        success(f"{name} was imported from this archive before: nothing to do")
        return
    success(
        f"imported {name}: {summary.rows:,} rows, {summary.objects_stored:,} objects stored "
        f"({summary.objects_present:,} already here), "
        f"{summary.audit_entries:,} source audit entries kept"
    )
    if summary.project != context.project:
        console.print(f"see it with `shipyard --project {name} runs ls`")


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
    app.command("import")(import_command)
