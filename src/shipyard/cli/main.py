"""Entry point of the ``shipyard`` command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from shipyard._version import __version__
from shipyard.cli.console import console
from shipyard.cli.errors import report
from shipyard.cli.state import CliState

__all__ = ["app", "main"]


class ShipyardGroup(TyperGroup):
    """Turns every error raised by a command into one printed line and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise  # usage errors and deliberate exits: typer presents them
        except (Exception, KeyboardInterrupt) as error:
            state = ctx.obj if isinstance(ctx.obj, CliState) else None
            debug = (state.debug if state else False) or _env_debug()
            raise typer.Exit(report(error, debug=debug)) from None


def _env_debug() -> bool:
    return os.environ.get("SHIPYARD_DEBUG", "").lower() in {"1", "true", "yes", "on"}


app = typer.Typer(
    name="shipyard",
    cls=ShipyardGroup,
    help="Shipyard: versioned data and models, tracking, registry, serving and monitoring.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"shipyard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version."),
    ] = False,
    uri: Annotated[
        str | None,
        typer.Option("--uri", help="Metadata store URI (overrides SHIPYARD_URI and config)."),
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", help="Project to work in (overrides config).")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option("-C", help="Run as if started in this folder.", show_default=False),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    state = CliState(
        cwd=directory,
        flags={"store.uri": uri, "project.name": project, "debug": debug or None},
        debug=debug or _env_debug(),
    )
    ctx.obj = state
    ctx.call_on_close(state.close)


def _register() -> None:
    from shipyard.auth.commands import audit_app, tokens_app, users_app
    from shipyard.client.commands import login, logout, whoami
    from shipyard.data import commands as data_commands
    from shipyard.monitoring.commands import monitor_app
    from shipyard.objects import commands as object_commands
    from shipyard.registry import commands as registry_commands
    from shipyard.server.commands import server
    from shipyard.serving.commands import deploy_app, serve
    from shipyard.store.commands import db_app
    from shipyard.tracking import commands as tracking_commands
    from shipyard.validate.commands import validate_app
    from shipyard.workspace import commands as workspace_commands

    workspace_commands.register(app)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(audit_app, name="audit")
    app.command()(server)
    app.command()(serve)
    app.add_typer(deploy_app, name="deploy")
    app.command()(login)
    app.command()(logout)
    app.command()(whoami)
    registry_commands.register(app)
    object_commands.register(app)
    data_commands.register(app)
    app.add_typer(monitor_app, name="monitor")
    app.add_typer(validate_app, name="validate")
    tracking_commands.register(app)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="shipyard")
