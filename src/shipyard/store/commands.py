"""CLI commands of the metadata store: ``shipyard db upgrade|current``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, success
from shipyard.cli.state import CliState

__all__ = ["db_app"]

db_app = typer.Typer(help="Manage the metadata store's schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Upgrade the metadata store's schema to the newest version."""
    from shipyard.store.migrate import current_revision, upgrade

    state: CliState = ctx.obj
    db = state.context().database_unchecked()
    try:
        before = current_revision(db)
        after = upgrade(db)
    finally:
        db.dispose()
    where = escape(db.display_uri)
    if before == after.current:
        success(f"{where} is already at schema {after.current} (newest)")
    else:
        success(f"upgraded {where} from schema {before or 'none'} to {after.current}")


@db_app.command("current")
def current_command(ctx: typer.Context) -> None:
    """Show the schema version of the metadata store and whether it is the newest."""
    from shipyard.store.migrate import current_revision
    from shipyard.store.revision import SCHEMA_HEAD

    state: CliState = ctx.obj
    db = state.context().database_unchecked()
    try:
        revision = current_revision(db)
    finally:
        db.dispose()
    verdict = (
        "newest" if revision == SCHEMA_HEAD else f"behind {SCHEMA_HEAD}: run `shipyard db upgrade`"
    )
    console.print(f"{escape(db.display_uri)}: schema {revision or 'none'} ({verdict})")


@db_app.command("revision", hidden=True)
def revision_command(
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration does.")],
) -> None:
    """For developers: write a new migration for changed tables (docs/DEVELOPING.md)."""
    from shipyard.store.migrate import new_revision

    success(f"wrote {new_revision(message)}")
