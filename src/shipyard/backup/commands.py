"""``shipyard backup`` and ``shipyard restore``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, human_bytes, print_json, success
from shipyard.cli.state import CliState

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.objects.backends.base import Backend

__all__ = ["backup", "restore"]

_JSON = typer.Option("--json", help="Print JSON for scripts.")
_WORKERS = typer.Option("--workers", min=1, max=64, help="Object copies in parallel.")


def backup(
    ctx: typer.Context,
    destination: Annotated[
        str, typer.Argument(help="Where backups live: a folder or s3://bucket/prefix.")
    ],
    store: Annotated[
        str | None, typer.Option("--store", help="The object store to back up (objects.path).")
    ] = None,
    workers: Annotated[int, _WORKERS] = 4,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Snapshot the metadata database and copy the object store, while it keeps serving.

    The database is read at one instant; objects are copied incrementally (a
    destination shared by earlier backups receives only new objects). Pass the
    database with --uri postgresql://… (or run in a workspace).
    """
    from shipyard.backup.take import take_backup
    from shipyard.cli.progress import progress_bars
    from shipyard.objects.open import workspace_backend

    state: CliState = ctx.obj
    if store:
        state.flags["objects.path"] = store
    context = state.context()
    source = workspace_backend(context)
    target = _location(context, destination)
    _refuse_overlap(source.url, target.url)
    with progress_bars(not as_json) as bars:
        report = take_backup(context.db, source, target, progress=bars, workers=workers)
    facts = report.to_dict()
    if as_json:
        print_json(facts)
        return
    success(
        f"snapshot {report.manifest.id} in {escape(report.location)}: "
        f"{facts['rows']:,} rows of {len(facts['tables'])} tables, "
        f"{report.manifest.object_keys:,} object store keys "
        f"({human_bytes(report.manifest.object_bytes)}; "
        f"{report.copied.keys:,} new, {human_bytes(report.copied.bytes)} copied)"
    )
    if report.copied.vanished:
        console.print(
            f"[yellow]{report.copied.vanished:,} key(s) were deleted while copying[/] "
            "(a `shipyard gc` ran meanwhile): run `shipyard fsck` on a restore to check"
        )


def restore(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The backup location: a folder or s3://…")],
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="Which snapshot (default: the newest).")
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="The empty object store to fill (objects.path)."),
    ] = None,
    workers: Annotated[int, _WORKERS] = 4,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Rebuild an empty database (--uri) and object store (--store) from a backup.

    Refuses a database or store that already holds anything. Run `shipyard fsck`
    and `shipyard audit verify` afterwards.
    """
    from shipyard.backup.restore import restore_backup
    from shipyard.cli.progress import progress_bars
    from shipyard.objects.open import workspace_backend

    state: CliState = ctx.obj
    if store:
        state.flags["objects.path"] = store
    context = state.context()
    backup_location = _location(context, source)
    target = workspace_backend(context)
    _refuse_overlap(target.url, backup_location.url)
    db = context.database_unchecked()
    try:
        with progress_bars(not as_json) as bars:
            report = restore_backup(
                db, target, backup_location, context.principal,
                snapshot_id=snapshot, progress=bars, workers=workers,
            )  # fmt: skip
    finally:
        db.dispose()
    if as_json:
        print_json(report.to_dict())
        return
    success(
        f"restored snapshot {report.manifest.id} (taken {report.manifest.created_at}): "
        f"{report.rows:,} rows, {report.manifest.object_keys:,} object store keys "
        f"({report.copied.keys:,} copied, {human_bytes(report.copied.bytes)})"
    )


def _location(context: Context, location: str) -> Backend:
    from shipyard.objects.open import make_backend

    settings = context.settings.objects
    return make_backend(
        location,
        endpoint_url=settings.s3_endpoint_url or None,
        region=settings.s3_region or None,
    )


def _refuse_overlap(store_url: str, backup_url: str) -> None:
    """A backup inside the store it copies (or the reverse) would copy itself."""
    from shipyard.core.errors import InvalidInput

    a, b = _normal(store_url), _normal(backup_url)
    if a == b or a.startswith(b + "/") or b.startswith(a + "/"):
        raise InvalidInput("the backup location and the object store overlap; keep them apart")


def _normal(url: str) -> str:
    if url.startswith("s3://"):
        return url.rstrip("/")
    return str(Path(url.removeprefix("file://")).expanduser().resolve())
