"""CLI of dataset versioning: ``shipyard data …`` and ``shipyard remote …`` (thin)."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, human_bytes, print_json, success
from shipyard.cli.state import CliState

if TYPE_CHECKING:
    from shipyard.data.adding import AddResult
    from shipyard.data.service import DataService

__all__ = ["data_app", "register", "remote_app"]

data_app = typer.Typer(
    help="Version datasets beside your code: pointer files in git, content in the object store.",
    no_args_is_help=True,
)
remote_app = typer.Typer(
    help="Where `shipyard data push/pull` send and fetch data (S3 or a folder).",
    no_args_is_help=True,
)

_JSON = typer.Option("--json", help="Print JSON for scripts.")
_REMOTE = typer.Option("--remote", "-r", help="Remote name or URL (default: data.remote).")
_REV = typer.Option("--rev", help="Git revision to read the pointers at (default: work tree).")
Paths = Annotated[list[Path] | None, typer.Argument(help="Tracked paths (default: all).")]


def _service(ctx: typer.Context) -> DataService:
    from shipyard.data.service import DataService

    state: CliState = ctx.obj
    return DataService(state.context())


@data_app.command("add")
def add_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to track.")],
    message: Annotated[
        str, typer.Option("--message", "-m", help="Note kept with the version.")
    ] = "",
    no_profile: Annotated[
        bool, typer.Option("--no-profile", help="Do not profile CSV/Parquet files.")
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Store data, write PATH.yard beside it (commit that), keep PATH out of git."""
    from shipyard.cli.progress import progress_bars
    from shipyard.data.render import add_lines

    service = _service(ctx)
    with progress_bars(not as_json) as bars:
        results = service.add(paths, message=message, profile=not no_profile, progress=bars)
    if as_json:
        print_json([r.to_dict() for r in results])
        return
    for line in add_lines(results):
        console.print(line)
    if any(r.changed for r in results):
        staged = " ".join(_to_commit(results))
        console.print(f"[dim]next: git add {escape(staged)} && git commit[/]")


def _to_commit(results: list[AddResult]) -> list[str]:
    """The pointers of new versions, then the ``.gitignore`` files that keep their data out."""
    changed = [r.name for r in results if r.changed]
    ignores = dict.fromkeys(posixpath.join(posixpath.dirname(n), ".gitignore") for n in changed)
    return [f"{n}.yard" for n in changed] + list(ignores)


@data_app.command("status")
def status_command(
    ctx: typer.Context,
    paths: Paths = None,
    remote: Annotated[str | None, _REMOTE] = None,
    check: Annotated[
        bool, typer.Option("--check-remote", "-c", help="Ask the remote what it holds.")
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Which tracked paths are modified, deleted, missing locally or not pushed."""
    from shipyard.data.render import status_view

    items = _service(ctx).status(paths, remote=remote, check_remote=check)
    if as_json:
        print_json([s.to_dict() for s in items])
        return
    console.print(status_view(items))


@data_app.command("diff")
def diff_command(
    ctx: typer.Context,
    rev_a: Annotated[str | None, typer.Argument(help="From this revision (default HEAD).")] = None,
    rev_b: Annotated[str | None, typer.Argument(help="To this one (default: work tree).")] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Files added, removed and modified between revisions, with rows and schema changes."""
    from shipyard.data.render import diff_view

    diffs = _service(ctx).diff(rev_a, rev_b)
    if as_json:
        print_json([d.to_dict() for d in diffs])
        return
    for line in diff_view(diffs):
        console.print(line)


@data_app.command("checkout")
def checkout_command(
    ctx: typer.Context,
    paths: Paths = None,
    rev: Annotated[str | None, _REV] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Discard local changes that are in the way.")
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Put the versions the pointers name (at --rev) in the work tree."""
    from shipyard.cli.progress import progress_bars

    with progress_bars(not as_json) as bars:
        results = _service(ctx).checkout(paths, rev=rev, force=force, progress=bars)
    if as_json:
        print_json([r.to_dict() for r in results])
        return
    for r in results:
        if not r.changed:
            console.print(f"[dim]unchanged[/] {escape(r.name)}")
            continue
        removed = f", removed {r.removed:,}" if r.removed else ""
        pointer = ", pointer updated" if r.pointer_updated else ""
        console.print(
            f"[green]checked out[/] {escape(r.name)} ({r.digest.short}: wrote "
            f"{r.written:,} file(s){removed}{pointer})"
        )


@data_app.command("push")
def push_command(
    ctx: typer.Context,
    paths: Paths = None,
    remote: Annotated[str | None, _REMOTE] = None,
    rev: Annotated[str | None, _REV] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Send the versions the pointers name to a remote (only what it lacks)."""
    from shipyard.cli.progress import progress_bars

    with progress_bars(not as_json) as bars:
        result = _service(ctx).push(paths, remote=remote, rev=rev, progress=bars)
    if as_json:
        print_json(result.to_dict())
        return
    s = result.stats
    success(
        f"pushed {len(result.paths)} path(s) to {escape(result.remote)}: {s.objects:,} objects "
        f"({human_bytes(s.bytes)}) sent, {s.skipped:,} already there"
        # A folder's "requests" are cheap file-system calls: count only network ones.
        + (f"; {result.remote_requests:,} requests to the remote" if "://" in result.remote else "")
    )


@data_app.command("pull")
def pull_command(
    ctx: typer.Context,
    paths: Paths = None,
    remote: Annotated[str | None, _REMOTE] = None,
    rev: Annotated[str | None, _REV] = None,
    no_checkout: Annotated[
        bool, typer.Option("--no-checkout", help="Only fetch into the local store.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Discard local changes that are in the way.")
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Fetch the versions the pointers name from a remote, then check them out."""
    from shipyard.cli.progress import progress_bars

    with progress_bars(not as_json) as bars:
        result = _service(ctx).pull(
            paths, remote=remote, rev=rev, checkout=not no_checkout, force=force, progress=bars
        )
    if as_json:
        print_json(result.to_dict())
        return
    s = result.stats
    written = sum(c.written for c in result.checkout)
    success(
        f"pulled {len(result.paths)} path(s) from {escape(result.remote)}: {s.objects:,} objects "
        f"({human_bytes(s.bytes)}) fetched, {s.skipped:,} already here; {written:,} file(s) written"
    )


@data_app.command("ls")
def ls_command(
    ctx: typer.Context,
    rev: Annotated[str | None, _REV] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Every tracked path with its size, file and row counts."""
    from shipyard.data.render import ls_table

    pointers = _service(ctx).ls(rev=rev)
    if as_json:
        print_json([p.to_dict() for p in pointers])
        return
    console.print(ls_table(pointers))


@data_app.command("log")
def log_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A tracked path.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 50,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """The versions of a tracked path over git history."""
    from shipyard.data.render import log_table

    entries = _service(ctx).log(path, limit=limit)
    if as_json:
        print_json([e.to_dict() for e in entries])
        return
    console.print(log_table(str(path), entries))


@data_app.command("show")
def show_command(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="A tracked path, or a file inside a tracked folder.")
    ],
    rev: Annotated[str | None, _REV] = None,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """A version's size, record and profile (schema, nulls, statistics, top values)."""
    from shipyard.data.render import show_view

    shown = _service(ctx).show(path, rev=rev)
    if as_json:
        print_json(shown.to_dict())
        return
    console.print(show_view(shown))


@data_app.command("get")
def get_command(
    repo: Annotated[str, typer.Argument(help="A git repository: a folder or a URL.")],
    path: Annotated[str, typer.Argument(help="The tracked path in that repository.")],
    rev: Annotated[str | None, typer.Option("--rev", help="Revision (default HEAD).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write it.")] = None,
    remote: Annotated[str | None, _REMOTE] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace OUT if it exists.")] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Download a version from another repository's remote, without cloning it."""
    from shipyard.cli.progress import progress_bars
    from shipyard.data.sync import get

    with progress_bars(not as_json) as bars:
        result = get(repo, path, rev=rev, out=out, remote=remote, force=force, progress=bars)
    if as_json:
        print_json(result.to_dict())
        return
    files = f"{result.files:,} files, " if result.kind == "directory" else ""
    success(
        f"wrote {escape(str(result.dest))} ({files}{human_bytes(result.size)}) from "
        f"{escape(result.remote)}, {escape(result.name)}@{escape(result.rev)}"
    )


# -- remotes -----------------------------------------------------------------------------


@remote_app.command("add")
def remote_add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short name, such as origin.")],
    url: Annotated[str, typer.Argument(help="s3://bucket/prefix, or a folder.")],
    default: Annotated[bool, typer.Option("--default", "-d", help="Make it the default.")] = False,
    endpoint_url: Annotated[
        str, typer.Option("--endpoint-url", help="S3-compatible endpoint (MinIO…).")
    ] = "",
    region: Annotated[str, typer.Option("--region", help="S3 region.")] = "",
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Replace a remote of that name.")
    ] = False,
) -> None:
    """Add a remote to .shipyard/config.toml (the first one becomes the default)."""
    became_default = _service(ctx).add_remote(
        name, url, default=default, endpoint_url=endpoint_url, region=region, replace=force
    )
    suffix = " (the default remote)" if became_default else ""
    success(f"added remote {escape(name)} → {escape(url)}{suffix}")


@remote_app.command("list")
def remote_list_command(ctx: typer.Context, as_json: Annotated[bool, _JSON] = False) -> None:
    """The configured remotes; the default is marked."""
    service = _service(ctx)
    remotes = service.remotes()
    default = service.default_remote()
    if as_json:
        print_json([{**r.to_dict(), "default": r.name == default} for r in remotes])
        return
    if not remotes:
        console.print("no remotes (add one with `shipyard remote add NAME URL`)")
    for r in remotes:
        mark = " [green](default)[/]" if r.name == default else ""
        console.print(f"{escape(r.name or '')}  {escape(r.url)}{mark}")


@remote_app.command("remove")
def remote_remove_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The remote's name.")]
) -> None:
    """Remove a remote from .shipyard/config.toml (its data stays where it is)."""
    _service(ctx).remove_remote(name)
    success(f"removed remote {escape(name)}")


@remote_app.command("default")
def remote_default_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The remote's name.")]
) -> None:
    """Make a remote the default of push and pull."""
    _service(ctx).set_default_remote(name)
    success(f"{escape(name)} is now the default remote")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
    app.add_typer(remote_app, name="remote")
