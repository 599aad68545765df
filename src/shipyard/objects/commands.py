"""CLI of the object store: ``shipyard fsck``, ``shipyard gc`` and ``shipyard objects …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shipyard.cli.console import console, human_bytes, print_json, success, warn
from shipyard.cli.errors import check_failed
from shipyard.cli.state import CliState

__all__ = ["objects_app", "register"]

objects_app = typer.Typer(
    help="Low-level access to the content-addressed object store.", no_args_is_help=True
)

_JSON = typer.Option("--json", help="Print JSON for scripts.")
_LIST_AT_MOST = 20


def fsck_command(
    ctx: typer.Context,
    deep: Annotated[
        bool,
        typer.Option("--deep", help="Also re-read each chunked file whole against its digest."),
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Verify every stored object and every object the metadata references.

    Exits with 1 and lists the objects when any is corrupt or missing.
    """
    from shipyard.cli.progress import progress_bars
    from shipyard.objects.fsck import fsck

    state: CliState = ctx.obj
    with progress_bars(not as_json) as bars:
        report = fsck(state.context(), deep=deep, progress=bars)
    if as_json:
        print_json(report.to_dict())
    else:
        summary = (
            f"{report.records:,} objects ({human_bytes(report.bytes)}) in "
            f"{report.packs:,} packs and loose files, {report.references:,} references"
        )
        if report.leftovers:
            console.print(
                f"[yellow]{len(report.leftovers):,} scratch file(s) of interrupted writes[/] "
                "(not damage; `shipyard gc` removes them):"
            )
            for path in report.leftovers[:_LIST_AT_MOST]:
                console.print(f"    {escape(path)}")
        if report.ok:
            success(f"{escape(report.url)}: {summary}: all intact")
        else:
            for problem in report.problems:
                console.print(f"[bold red]✗ {problem.kind}[/] {escape(problem.object_id)}")
                console.print(f"    {escape(problem.where)}: {escape(problem.detail)}")
            console.print(
                f"[bold red]{len(report.problems):,} problem(s)[/] in {escape(report.url)} "
                f"({summary})"
            )
    if not report.ok:
        raise check_failed()


def gc_command(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="List what would be deleted; delete nothing.")
    ] = False,
    grace: Annotated[
        str,
        typer.Option(
            "--grace", help="Keep unreferenced objects younger than this (e.g. 30m, 24h, 7d)."
        ),
    ] = "24h",
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Delete objects that no metadata references and that are older than the grace period."""
    from shipyard.cli.progress import progress_bars
    from shipyard.core.durations import format_duration, parse_duration
    from shipyard.objects.gc import gc

    state: CliState = ctx.obj
    window = parse_duration(grace)
    with progress_bars(not as_json) as bars:
        report = gc(state.context(), grace=window, dry_run=dry_run, progress=bars)
    if as_json:
        print_json(report.to_dict())
        return
    if dry_run:
        for record in report.garbage[:_LIST_AT_MOST]:
            where = f"in pack {record.pack_id[:12]}" if record.pack_id else "loose"
            console.print(
                f"{record.name}  {record.kind.name.lower():8} "
                f"{human_bytes(record.stored_size):>10}  {where}"
            )
        if len(report.garbage) > _LIST_AT_MOST:
            more = len(report.garbage) - _LIST_AT_MOST
            console.print(f"… and {more:,} more (--json lists them all)")
    verb = "would delete" if dry_run else "deleted"
    success(
        f"{verb} {len(report.garbage):,} unreferenced object(s), "
        f"{human_bytes(report.freed_bytes)}; kept {report.live_records:,} referenced"
        + (f" and {report.young:,} younger than {format_duration(window)}" if report.young else "")
    )
    if report.leftovers:
        what = "would remove" if dry_run else "removed"
        console.print(f"  {what} {len(report.leftovers)} leftover file(s) of interrupted writes")


@objects_app.command("stats")
def stats_command(ctx: typer.Context, as_json: Annotated[bool, _JSON] = False) -> None:
    """How many objects and bytes the workspace's store holds."""
    state: CliState = ctx.obj
    store = state.context().objects
    usage = store.usage()
    data = {"store": store.url, "encrypted": store.encrypted, **usage.to_dict()}
    if as_json:
        print_json(data)
        return
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("store", escape(store.url))
    table.add_row("encrypted", "yes (AES-256-GCM)" if store.encrypted else "no")
    table.add_row("objects", f"{usage.records:,} ({usage.loose:,} loose, {usage.packed:,} packed)")
    table.add_row("packs", f"{usage.packs:,}")
    table.add_row("stored bytes", human_bytes(usage.bytes))
    console.print(table)


@objects_app.command("put")
def put_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files to store.")],
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Store files and print their digests (what `data add` does underneath)."""
    from shipyard.cli.progress import progress_bars

    state: CliState = ctx.obj
    store = state.context().objects
    with progress_bars(not as_json) as bars:
        refs = store.put_files(paths, progress=bars)
    if as_json:
        print_json([{"path": str(p), **r.to_dict()} for p, r in zip(paths, refs, strict=True)])
        return
    for path, ref in zip(paths, refs, strict=True):
        console.print(f"{ref.digest.hex}  {human_bytes(ref.size):>10}  {escape(str(path))}")


@objects_app.command("get")
def get_command(
    ctx: typer.Context,
    digest: Annotated[str, typer.Argument(help="Digest of the object (64 hex characters).")],
    dest: Annotated[Path, typer.Argument(help="File to write (replaced atomically).")],
) -> None:
    """Write an object's content to a file, verified."""
    from shipyard.cli.progress import progress_bars
    from shipyard.core.digest import Digest

    state: CliState = ctx.obj
    wanted = Digest.parse(digest)
    with progress_bars() as bars:
        state.context().objects.get_file(wanted, dest, progress=bars)
    success(f"wrote {wanted.short}… to {dest}")


@objects_app.command("keygen")
def keygen_command(
    path: Annotated[Path, typer.Argument(help="Key file to create (mode 0600).")],
) -> None:
    """Create a random store key file for encryption at rest (objects.key_file)."""
    from shipyard.objects.keys import write_new_key

    write_new_key(path)
    success(f"wrote a new object store key to {path} (readable by you only)")
    warn("keep a copy somewhere safe: without it the encrypted objects cannot be read")


def register(app: typer.Typer) -> None:
    app.command("fsck")(fsck_command)
    app.command("gc")(gc_command)
    app.add_typer(objects_app, name="objects")
