"""``shipyard ci init --github``: a CI workflow that tests, checks gates and promotes.

The model and the training command are never guessed in silence: flags win; on a
terminal the command asks, offering its guess; otherwise it takes the guess (the
project's name; ``python train.py`` when that file exists) and says so, or stops
when it has none.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, success
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput
from shipyard.registry.ci import check_target, guess_train_command, write_github_workflow

__all__ = ["ci_app"]

ci_app = typer.Typer(help="Continuous integration for models.", no_args_is_help=True)


def _ask(question: str, default: str | None) -> str:
    answer: str = typer.prompt(question, default=default)
    return answer.strip()


def _choose_model(given: str | None, project: str, interactive: bool) -> tuple[str, str]:
    """The model's name and where it came from."""
    if given is not None:
        return given, "--model"
    if interactive:
        return _ask("Registered model", project), "your answer"
    return project, "the project's name; --model to choose another"


def _choose_train(given: str | None, root: Path, interactive: bool) -> tuple[str, str]:
    """The training command and where it came from; raises InvalidInput when there is
    none to take."""
    if given is not None:
        return given, "--train"
    guess = guess_train_command(root)
    if interactive:
        return _ask("Command that trains and registers a version", guess), "your answer"
    if guess is None:
        raise InvalidInput(
            "no training command given and no train.py found",
            hint='pass --train "python your_script.py"',
        )
    return guess, "found the script; --train to choose another"


@ci_app.command("init")
def ci_init(
    ctx: typer.Context,
    github: Annotated[
        bool, typer.Option("--github", help="Write a GitHub Actions workflow.")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Registered model (asked on a terminal)."),
    ] = None,
    alias: Annotated[str, typer.Option("--alias", help="Alias CI promotes to.")] = "staging",
    train: Annotated[
        str | None,
        typer.Option(
            "--train", help="Command that trains and registers a version (asked on a terminal)."
        ),
    ] = None,
    python: Annotated[str, typer.Option("--python", help="Python version for CI.")] = "3.11",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing workflow.")] = False,
) -> None:
    """Write .github/workflows/shipyard.yml: tests, gate evaluation, promotion on main."""
    if not github:
        raise InvalidInput("choose a CI system", hint="Shipyard writes GitHub Actions: --github")
    state: CliState = ctx.obj
    context = state.context()
    root = context.settings.workspace or state.start_dir
    check_target(root, force=force)  # before asking anything
    interactive = sys.stdin.isatty()
    name, name_from = _choose_model(model, context.project, interactive)
    command, command_from = _choose_train(train, root, interactive)
    path = write_github_workflow(root, name, alias=alias, train=command, python=python, force=force)
    success(f"Wrote {path}")
    console.print(f"  model: {escape(name)} ({escape(name_from)})")
    console.print(f"  training command: {escape(command)} ({escape(command_from)})")
    console.print(
        f"  pull requests: tests, then `{escape(command)}` and the @{escape(alias)} gates "
        "(dry run)\n"
        f"  pushes to main: the same, then `shipyard models promote {escape(name)} latest "
        f"--to {escape(alias)}`\n"
        "  shared registry: set the SHIPYARD_URI / SHIPYARD_OBJECTS_PATH repository secrets "
        "(and SHIPYARD_SIGNING_KEY to sign)"
    )
