"""Entry point of the ``shipyard`` command."""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from shipyard._version import __version__
from shipyard.cli.console import console
from shipyard.cli.errors import report
from shipyard.cli.state import CliState

__all__ = ["PARTS", "build_app", "command_name", "main"]


class ShipyardGroup(TyperGroup):
    """Turns every error raised by a command into one printed line and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise  # usage errors and deliberate exits: typer presents them
        except (Exception, KeyboardInterrupt) as error:
            if isinstance(error, BrokenPipeError) and _stdout_gone():
                raise  # `shipyard … | head` stopped reading: typer exits quietly
            state = ctx.obj if isinstance(ctx.obj, CliState) else None
            debug = (state.debug if state else False) or _env_debug()
            raise typer.Exit(report(error, debug=debug)) from None


def _stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll here, or no real stdout
        return False


def _env_debug() -> bool:
    return os.environ.get("SHIPYARD_DEBUG", "").lower() in {"1", "true", "yes", "on"}


def _new_app() -> typer.Typer:
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
    app.callback()(_root)
    return app


def _print_version(value: bool) -> None:
    if value:
        console.print(f"shipyard {__version__}")
        raise typer.Exit()


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


# Each part of the command line registers its commands itself. A run builds only
# the part its command belongs to: importing every module and building every
# command's parameters took a third of a second on each start.


def _workspace(app: typer.Typer) -> None:
    from shipyard.workspace import commands

    commands.register(app)


def _store(app: typer.Typer) -> None:
    from shipyard.store.commands import db_app

    app.add_typer(db_app, name="db")


def _auth(app: typer.Typer) -> None:
    from shipyard.auth.commands import audit_app, tokens_app, users_app

    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(audit_app, name="audit")


def _server(app: typer.Typer) -> None:
    from shipyard.server.commands import server

    app.command()(server)


def _ui(app: typer.Typer) -> None:
    from shipyard.ui.commands import ui

    app.command()(ui)


def _serving(app: typer.Typer) -> None:
    from shipyard.serving.commands import deploy_app, serve

    app.command()(serve)
    app.add_typer(deploy_app, name="deploy")


def _client(app: typer.Typer) -> None:
    from shipyard.client.commands import login, logout, whoami

    app.command()(login)
    app.command()(logout)
    app.command()(whoami)


def _registry(app: typer.Typer) -> None:
    from shipyard.registry import commands

    commands.register(app)


def _objects(app: typer.Typer) -> None:
    from shipyard.objects import commands

    commands.register(app)


def _data(app: typer.Typer) -> None:
    from shipyard.data import commands

    commands.register(app)


def _monitoring(app: typer.Typer) -> None:
    from shipyard.monitoring.commands import monitor_app

    app.add_typer(monitor_app, name="monitor")


def _validate(app: typer.Typer) -> None:
    from shipyard.validate.commands import validate_app

    app.add_typer(validate_app, name="validate")


def _pipelines(app: typer.Typer) -> None:
    from shipyard.pipelines.commands import pipeline_app, scheduler

    app.add_typer(pipeline_app, name="pipeline")
    app.command()(scheduler)


def _backup(app: typer.Typer) -> None:
    from shipyard.backup.commands import backup, restore

    app.command()(backup)
    app.command()(restore)


def _projects_io(app: typer.Typer) -> None:
    from shipyard.projects_io import commands

    commands.register(app)


def _tracking(app: typer.Typer) -> None:
    from shipyard.tracking import commands

    commands.register(app)


PARTS: dict[Callable[[typer.Typer], None], tuple[str, ...]] = {
    _workspace: ("init", "status", "doctor"),
    _store: ("db",),
    _auth: ("users", "tokens", "audit"),
    _server: ("server",),
    _ui: ("ui",),
    _serving: ("serve", "deploy"),
    _client: ("login", "logout", "whoami"),
    _registry: ("keys", "models", "ci"),
    _objects: ("fsck", "gc", "objects"),
    _data: ("data", "remote"),
    _monitoring: ("monitor",),
    _validate: ("validate",),
    _tracking: ("run", "runs", "experiments"),
    _pipelines: ("pipeline", "scheduler"),
    _backup: ("backup", "restore"),
    _projects_io: ("export", "import"),
}
"""Which top-level commands each part registers (a test checks it against the parts)."""

_PART_OF = {name: part for part, names in PARTS.items() for name in names}
_ROOT_OPTIONS_WITH_VALUES = {"--uri", "--project", "-C"}


def build_app(command: str | None = None, *, bare: bool = False) -> typer.Typer:
    """The command line: with every command, or only ``command``'s part when it is known
    (``bare``: no command at all, for ``--version``)."""
    app = _new_app()
    if bare:
        return app
    part = _PART_OF.get(command) if command else None
    for register in [part] if part else PARTS:
        register(app)
    return app


def command_name(args: list[str]) -> str | None:
    """The top-level command in ``args`` (past the root options), if any."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _ROOT_OPTIONS_WITH_VALUES:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole command line, for tests and documentation tools
        return build_app()
    raise AttributeError(name)


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    command = command_name(args)
    bare = command is None and "--version" in args  # answered before any command is needed
    build_app(command, bare=bare)(prog_name="shipyard")
