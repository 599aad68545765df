"""``shipyard models ls|show|register|describe|card|evaluate|download``: versions and cards."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from shipyard.cli.console import console, print_json, print_wide, success
from shipyard.cli.state import CliState
from shipyard.core.errors import InvalidInput
from shipyard.registry.commands import JsonOption, models_app

if TYPE_CHECKING:
    from shipyard.context import Context

__all__: list[str] = []


def _context(ctx: typer.Context) -> Context:
    state: CliState = ctx.obj
    return state.context()


@models_app.command("ls")
def models_ls(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the project's registered models with their aliases."""
    from shipyard.registry.render import models_table

    context = _context(ctx)
    models = context.registry.list_models(context.principal, context.project)
    if as_json:
        print_json([m.to_dict() for m in models])
        return
    if not models:
        console.print(
            "No registered models yet: log one with run.log_model(model, NAME) "
            "or `shipyard models register DIR --name NAME`."
        )
        return
    print_wide(models_table(models))


@models_app.command("show")
def models_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="churn (the model), churn/3 or churn@production.")],
    as_json: JsonOption = False,
) -> None:
    """Show a model (card fields, aliases, versions) or one version (lineage, metrics)."""
    from shipyard.core.model_ref import ModelRef
    from shipyard.registry.render import model_view, version_view

    context = _context(ctx)
    parsed = ModelRef.parse(ref)
    registry = context.registry
    principal, project = context.principal, context.project
    if parsed.is_model:
        model = registry.get_model(principal, project, parsed.name)
        versions = registry.list_versions(principal, project, parsed.name)
        if as_json:
            print_json(model.to_dict() | {"versions": [v.to_dict() for v in versions]})
            return
        print_wide(model_view(model, versions))
        return
    version, metrics, evaluations = registry.version_details(principal, project, parsed)
    if as_json:
        print_json(
            version.to_dict()
            | {"metrics": metrics, "evaluations": [e.to_dict() for e in evaluations]}
        )
        return
    print_wide(version_view(version, metrics, evaluations))


@models_app.command("register")
def models_register(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="A saved model directory.")],
    name: Annotated[str, typer.Option("--name", "-n", help="Registered model name.")],
    description: Annotated[
        str, typer.Option("--description", "-d", help="What changed in this version.")
    ] = "",
    as_json: JsonOption = False,
) -> None:
    """Register a model directory as the next version of NAME (signed if a key exists)."""
    from shipyard.cli.progress import progress_bars

    context = _context(ctx)
    with progress_bars(not as_json) as bars:
        version = context.registry.publish_directory(
            directory, name, description=description, progress=bars
        )
    if as_json:
        print_json(version.to_dict())
        return
    signed = "signed" if version.signed else "unsigned"
    success(f"Registered {version.uri} ({version.flavor}, {len(version.files)} files, {signed})")


@models_app.command("describe")
def models_describe(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    overview: Annotated[str | None, typer.Option(help="What the model does.")] = None,
    intended_use: Annotated[
        str | None, typer.Option("--intended-use", help="Uses it was built for.")
    ] = None,
    users: Annotated[str | None, typer.Option(help="Who is meant to use it.")] = None,
    limitations: Annotated[
        str | None, typer.Option(help="Where it fails or was not tested.")
    ] = None,
    tradeoffs: Annotated[str | None, typer.Option(help="Trade-offs that were made.")] = None,
    ethical_considerations: Annotated[
        str | None,
        typer.Option("--ethical-considerations", help="Risks to people and mitigations."),
    ] = None,
    owners: Annotated[str | None, typer.Option(help="Responsible team or people.")] = None,
    license: Annotated[str | None, typer.Option(help="SPDX id or 'proprietary'.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write the model card's editable fields ("" clears one). Use "- a\\n- b" for lists."""

    given = {
        "overview": overview,
        "intended_use": intended_use,
        "users": users,
        "limitations": limitations,
        "tradeoffs": tradeoffs,
        "ethical_considerations": ethical_considerations,
        "owners": owners,
        "license": license,
    }
    fields = {k: v for k, v in given.items() if v is not None}
    if not fields:
        raise InvalidInput(
            "give at least one field to write",
            hint="e.g. shipyard models describe churn --overview 'Predicts churn within 30 days'",
        )
    context = _context(ctx)
    model = context.registry.describe(context.principal, context.project, name, fields)
    if as_json:
        print_json(model.to_dict())
        return
    success(f"Updated {len(fields)} card field(s) of {name}")


@models_app.command("card")
def models_card(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="churn@production, churn/3 or churn (latest).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, html or json.")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Generate the model card of a version: Markdown, self-contained HTML or JSON."""
    from shipyard.core.model_ref import ModelRef
    from shipyard.profiling.files import write_text_atomic
    from shipyard.registry.card.render import FORMATS

    if fmt not in FORMATS:
        raise InvalidInput(f"unknown card format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    parsed = ModelRef.parse(ref)
    if parsed.is_model:
        parsed = ModelRef(parsed.name, alias="latest")
    context = _context(ctx)
    text = context.registry.card(context.principal, context.project, parsed, fmt)
    if output is None:
        console.file.write(text)
        return
    write_text_atomic(output, text)
    success(f"Wrote the {fmt} card of {parsed} to {output}")


@models_app.command("evaluate")
def models_evaluate(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="churn/3 or churn@staging.")],
    data: Annotated[Path, typer.Option("--data", help="Labelled CSV or Parquet file.")],
    target: Annotated[str, typer.Option("--target", help="The label column.")],
    metric: Annotated[
        list[str] | None, typer.Option("--metric", "-m", help="Only these metrics (repeatable).")
    ] = None,
    trust: Annotated[
        bool,
        typer.Option("--trust", help="Allow unknown types and importing a manifest's classes."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Score a version on a labelled file and record the metrics (shown on its card).

    The scoring runs here, on this machine's copy of the file; a team server stores
    the result as a record (its `beats` gates score models themselves).
    """
    from shipyard.core.model_ref import ModelRef
    from shipyard.registry.gates.scoring import read_labelled, score_model

    context = _context(ctx)
    registry = context.registry
    parsed = ModelRef.parse(ref, require_version=True)
    version = registry.get_version(context.principal, context.project, parsed).version
    model = registry.load_model(ModelRef(parsed.name, version=version), trusted=trust)
    labelled = read_labelled(data, target)
    score = score_model(model, labelled, metric)
    evaluation = registry.record_evaluation(
        context.principal,
        context.project,
        parsed.name,
        version,
        data_path=str(data),
        data_digest=labelled.digest,
        rows=labelled.rows,
        target=target,
        metrics=score.metrics,
    )
    if as_json:
        print_json(evaluation.to_dict())
        return
    shown = ", ".join(f"{k} {v:.4f}" for k, v in sorted(score.metrics.items()))
    success(f"{parsed.name}/{version} on {data} ({labelled.rows:,} rows): {shown}")


@models_app.command("download")
def models_download(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="churn@production, churn/3…")],
    dest: Annotated[Path, typer.Option("--dest", "-d", help="New folder for the model.")],
) -> None:
    """Write a verified copy of a version's model directory (signature included)."""
    import shutil

    from shipyard.cli.progress import progress_bars
    from shipyard.core.errors import AlreadyExists

    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise AlreadyExists(f"{dest} exists and is not an empty folder", hint="choose a new one")
    with progress_bars() as bars:
        resolved = _context(ctx).registry.resolve(ref, progress=bars)
    if dest.exists():
        dest.rmdir()
    shutil.copytree(resolved.directory, dest)
    success(f"Wrote {resolved.uri} to {escape(str(dest))} (every file verified)")
