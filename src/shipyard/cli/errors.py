"""How errors reach a terminal: one red line, and the exit code, decided here only.

Exit codes: 0 success; 1 a failure that is not the user's input (unreachable
store, corrupt data, internal error), or a check that ran and found a problem
(:func:`check_failed`: drift, a monitor's breach, failed validation rules, a
broken audit chain, fsck or doctor problems, values left unsynced); 2 bad usage
or bad input (also what click uses for usage errors); 130 interrupted. Commands
never pick a number themselves (``shipyard run`` passes its child's code on).
"""

from __future__ import annotations

import traceback

import typer
from rich.markup import escape

from shipyard.cli.console import err_console
from shipyard.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ShipyardError,
    Unauthenticated,
)
from shipyard.core.extras import missing_extra_for

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "check_failed",
    "exit_code_for",
    "report",
]

EXIT_FAILURE = 1
EXIT_CHECK_FAILED = 1
"""The command did its job and what it checked is not right (CI fails the step)."""
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_USER_ERRORS = (InvalidInput, NotFound, Conflict, Unauthenticated, PermissionDenied)


def check_failed() -> typer.Exit:
    """``raise check_failed()`` after reporting what a check found wrong."""
    return typer.Exit(EXIT_CHECK_FAILED)


def exit_code_for(error: BaseException) -> int:
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(error, _USER_ERRORS):
        return EXIT_USAGE
    return EXIT_FAILURE


def report(error: BaseException, *, debug: bool) -> int:
    """Print ``error`` for a human and return the exit code to use."""
    if debug:
        err_console.print(escape("".join(traceback.format_exception(error))), end="")
    error = missing_extra_for(error) or error  # a library the base install leaves out
    if isinstance(error, ShipyardError):
        err_console.print(f"[bold red]error:[/] {escape(error.one_line())}")
        for line in error.details():
            err_console.print(escape(line))
    elif isinstance(error, KeyboardInterrupt):
        err_console.print("[red]interrupted[/]")
    else:
        hint = "" if debug else "; run again with --debug for the traceback"
        name = type(error).__name__
        err_console.print(f"[bold red]internal error:[/] {escape(f'{name}: {error}{hint}')}")
    return exit_code_for(error)
