"""``shipyard ci init --github``: a CI workflow that tests, checks gates and promotes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, success
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput

__all__ = ["ci_app"]

ci_app = typer.Typer(help="Continuous integration for models.", no_args_is_help=True)


@ci_app.command("init")
def ci_init(
    ctx: typer.Context,
    github: Annotated[
        bool, typer.Option("--github", help="Write a GitHub Actions workflow.")
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Registered model (default: the project).")
    ] = None,
    alias: Annotated[str, typer.Option("--alias", help="Alias CI promotes to.")] = "staging",
    train: Annotated[
        str, typer.Option("--train", help="Command that trains and registers a version.")
    ] = "python train.py",
    python: Annotated[str, typer.Option("--python", help="Python version for CI.")] = "3.11",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing workflow.")] = False,
) -> None:
    """Write .github/workflows/shipyard.yml: tests, gate evaluation, promotion on main."""
    from shipyard.registry.ci import write_github_workflow

    if not github:
        raise InvalidInput("choose a CI system", hint="Shipyard writes GitHub Actions: --github")
    state: CliState = ctx.obj
    context = state.context()
    root = context.settings.workspace or state.start_dir
    name = model or context.project
    path = write_github_workflow(root, name, alias=alias, train=train, python=python, force=force)
    success(f"Wrote {path}")
    console.print(
        f"  pull requests: tests, then `{escape(train)}` and the @{escape(alias)} gates "
        "(dry run)\n"
        f"  pushes to main: the same, then `shipyard models promote {escape(name)} latest "
        f"--to {escape(alias)}`\n"
        "  shared registry: set the SHIPYARD_URI / SHIPYARD_OBJECTS_PATH repository secrets "
        "(and SHIPYARD_SIGNING_KEY to sign)"
    )
