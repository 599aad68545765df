"""``shipyard models alias …|rollback|approve|promote``: moving aliases, through gates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, err_console, print_json, print_wide, success
from shipyard.cli.state import CliState
from shipyard.core.errors import Conflict
from shipyard.core.model_ref import ModelRef, parse_version
from shipyard.registry.commands import JsonOption, models_app

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.registry.aliases import MoveResult

__all__ = ["alias_app"]

alias_app = typer.Typer(
    help="Point aliases at versions; every move is recorded.", no_args_is_help=True
)
models_app.add_typer(alias_app, name="alias")

ReasonOption = Annotated[str, typer.Option("--reason", "-r", help="Why (kept in the history).")]


def _context(ctx: typer.Context) -> Context:
    state: CliState = ctx.obj
    return state.context()


def _version_ref(name: str, version: str) -> ModelRef:
    """``3`` or ``latest`` (or an alias, ``@staging``) of ``name``."""
    text = version.strip()
    if text == "latest":
        return ModelRef(name, alias="latest")
    if text.startswith("@"):
        return ModelRef.parse(f"{name}{text}")
    return ModelRef(ModelRef.parse(name).name, version=parse_version(text))


def _report(result: MoveResult, name: str, alias: str, as_json: bool) -> None:
    if as_json:
        print_json({"changed": result.changed, "current": result.current,
                    "event": result.event.to_dict() if result.event else None})  # fmt: skip
        return
    if result.event is None:
        console.print(f"@{escape(alias)} of {escape(name)} already points at v{result.current}")
        return
    event = result.event
    start = "—" if event.from_version is None else f"v{event.from_version}"
    end = "unset" if event.to_version is None else f"v{event.to_version}"
    success(f"{name}@{alias}: {start} → {end} ({event.action}, event {event.seq})")


@alias_app.command("set")
def alias_set(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias: Annotated[str, typer.Argument(help="Alias (e.g. staging, production).")],
    version: Annotated[str, typer.Argument(help="Version number, or latest.")],
    reason: ReasonOption = "",
    as_json: JsonOption = False,
) -> None:
    """Point ALIAS at a version directly (no gates; maintainers only)."""
    context = _context(ctx)
    number = context.registry.get_version(
        context.principal, context.project, _version_ref(name, version)
    )
    result = context.aliases.set_alias(
        context.principal, context.project, name, alias, number.version, reason=reason
    )
    _report(result, name, alias, as_json)


@alias_app.command("rm")
def alias_rm(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias: Annotated[str, typer.Argument(help="Alias to unset.")],
    reason: ReasonOption = "",
    as_json: JsonOption = False,
) -> None:
    """Unset an alias (recorded; `models rollback` restores it)."""
    context = _context(ctx)
    result = context.aliases.remove_alias(
        context.principal, context.project, name, alias, reason=reason
    )
    _report(result, name, alias, as_json)


@alias_app.command("history")
def alias_history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias: Annotated[str | None, typer.Argument(help="One alias (default: all).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every move of an alias: who, when, from, to, why, and the gates it passed."""
    from shipyard.registry.render import history_table

    context = _context(ctx)
    events = context.aliases.history(context.principal, context.project, name, alias)
    if as_json:
        print_json([e.to_dict() for e in events])
        return
    if not events:
        what = f"alias {alias!r}" if alias else "any alias"
        console.print(f"{escape(name)} has no history for {escape(what)} yet.")
        return
    print_wide(history_table(events))


@models_app.command("rollback")
def models_rollback(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias: Annotated[str, typer.Argument(help="Alias to move back (e.g. production).")],
    reason: ReasonOption = "",
    as_json: JsonOption = False,
) -> None:
    """Move an alias back to the version it pointed at before (recorded like any move)."""
    context = _context(ctx)
    result = context.aliases.rollback(
        context.principal, context.project, name, alias, reason=reason
    )
    _report(result, name, alias, as_json)


@models_app.command("approve")
def models_approve(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    version: Annotated[str, typer.Argument(help="Version number, or latest.")],
    alias: Annotated[str, typer.Option("--for", help="The alias the approval is for.")],
    note: Annotated[str, typer.Option("--note", help="A note kept with the approval.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Approve a version for an alias (maintainers; the `approval` gate reads it)."""
    context = _context(ctx)
    number = context.registry.get_version(
        context.principal, context.project, _version_ref(name, version)
    )
    approval = context.aliases.approve(
        context.principal, context.project, name, number.version, alias, note=note
    )
    if as_json:
        print_json(approval.to_dict())
        return
    success(f"{approval.principal} ({approval.role}) approved {name}/{number.version} for @{alias}")


@models_app.command("promote")
def models_promote(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    version: Annotated[str, typer.Argument(help="Version number, latest, or @alias.")],
    alias: Annotated[str, typer.Option("--to", help="The alias to move (e.g. production).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Evaluate the gates only; change nothing.")
    ] = False,
    reason: ReasonOption = "",
    trust: Annotated[
        bool,
        typer.Option("--trust", help="Allow unknown types and importing a manifest's classes."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Evaluate the alias's gates (config.toml \\[gates.ALIAS]); move it only if all pass.

    Exit 0: promoted (with --dry-run: every gate passes). Exit 2: a gate failed and the
    alias stayed where it was.
    """
    from shipyard.registry.render import gates_table

    context = _context(ctx)
    outcome = context.aliases.promote(
        context.principal, context.project, _version_ref(name, version), alias,
        dry_run=dry_run, reason=reason, trusted=trust,
    )  # fmt: skip
    label = f"{outcome.name}/{outcome.version}"
    if as_json:
        print_json(outcome.to_dict())
    elif outcome.already:
        console.print(f"@{escape(alias)} already points at {escape(label)}: nothing to do")
    else:
        if not outcome.gates_configured:
            err_console.print(
                f"[yellow]![/] no gates configured for @{escape(alias)} "
                f"(add {escape(f'[gates.{alias}]')} to .shipyard/config.toml)"
            )
        elif outcome.results:
            print_wide(gates_table(outcome))
        if outcome.moved:
            previous = "—" if outcome.previous is None else f"v{outcome.previous}"
            success(f"{name}@{alias}: {previous} → v{outcome.version} (all gates passed)")
        elif outcome.passed and dry_run:
            success(f"every gate passes: {label} can be promoted to @{alias}")
    if not outcome.passed:
        failed = ", ".join(sorted({r.gate for r in outcome.failed}))
        where = "it stays where it was" if outcome.previous is not None else "it stays unset"
        raise Conflict(
            f"{len(outcome.failed)} of {len(outcome.results)} gate checks failed ({failed}): "
            f"{label} was not promoted to @{alias}; {where}"
            if not dry_run
            else f"{len(outcome.failed)} of {len(outcome.results)} gate checks fail ({failed}): "
            f"promoting {label} to @{alias} would be refused",
            hint="see the evidence above; fix the cause and promote again",
        )
