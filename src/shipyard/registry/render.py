"""Rich views of the registry for the terminal: models, versions, alias history, gates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table

from shipyard.cli.console import human_bytes
from shipyard.core.signature import ColumnSchema, Schema

if TYPE_CHECKING:
    from shipyard.registry.entities import (
        AliasEvent,
        Evaluation,
        ModelVersion,
        RegisteredModel,
    )
    from shipyard.registry.gates.promote import Promotion

__all__ = [
    "gates_table",
    "history_table",
    "model_view",
    "models_table",
    "version_view",
]


def _table(*columns: str) -> Table:
    table = Table(show_header=True, header_style="bold", show_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _aliases(aliases: Sequence[str]) -> str:
    return " ".join(f"[cyan]@{escape(a)}[/]" for a in aliases)


def models_table(models: Sequence[RegisteredModel]) -> Table:
    table = _table("model", "versions", "latest", "aliases", "updated (UTC)")
    for model in models:
        aliases = ", ".join(f"[cyan]@{escape(a)}[/]→{v}" for a, v in model.aliases.items())
        table.add_row(
            escape(model.name),
            str(model.version_count),
            str(model.latest_version or "—"),
            aliases or "—",
            model.updated_at.strftime("%Y-%m-%d %H:%M") if model.updated_at else "",
        )
    return table


def model_view(model: RegisteredModel, versions: Sequence[ModelVersion]) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("model", escape(f"{model.name} (project {model.project})"))
    grid.add_row("created", f"{model.created_at:%Y-%m-%d %H:%M} by {escape(model.created_by)}")
    aliases = ", ".join(f"[cyan]@{escape(a)}[/] → v{v}" for a, v in model.aliases.items())
    grid.add_row("aliases", aliases or "none")
    for field in ("overview", "intended_use", "limitations", "ethical_considerations"):
        value = model.card.get(field)
        grid.add_row(field.replace("_", " "), escape(value) if value else "[dim]not written[/]")
    table = _table("version", "aliases", "flavor", "size", "signed", "run", "registered (UTC)")
    for v in versions:
        table.add_row(
            str(v.version),
            _aliases(v.aliases),
            v.flavor,
            human_bytes(v.size),
            "[green]yes[/]" if v.signed else "[dim]no[/]",
            (v.run_id or "")[:12],
            f"{v.created_at:%Y-%m-%d %H:%M} {escape(v.created_by)}",
        )
    return Group(grid, "", table)


def version_view(
    version: ModelVersion, metrics: dict[str, float], evaluations: Sequence[Evaluation]
) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("version", escape(f"{version.uri}  {_plain_aliases(version.aliases)}"))
    grid.add_row(
        "registered", f"{version.created_at:%Y-%m-%d %H:%M:%S} UTC by {escape(version.created_by)}"
    )
    grid.add_row("flavor", escape(version.flavor))
    grid.add_row("files", f"{len(version.files)}, {human_bytes(version.size)}")
    grid.add_row(
        "signed",
        f"[green]yes[/], key {version.signer[:16]}…" if version.signer else "[yellow]no[/]",
    )
    if version.schema is not None:
        for label, schema in (
            ("inputs", version.schema.inputs),
            ("outputs", version.schema.outputs),
        ):
            if schema is not None:
                grid.add_row(label, escape(_schema_text(schema)))
    lineage = version.lineage
    run = lineage.get("run") or {}
    if run:
        grid.add_row(
            "run",
            escape(f"{run.get('id')} ({run.get('name')}, experiment {run.get('experiment')})"),
        )
    git = lineage.get("git") or {}
    if git.get("commit"):
        dirty = " (uncommitted changes)" if git.get("dirty") else ""
        grid.add_row("code", escape(f"{git['commit'][:12]} on {git.get('branch')}{dirty}"))
    inputs = lineage.get("inputs") or []
    for item in inputs[:10]:
        grid.add_row("input", escape(f"{item['path']} ({str(item['digest'])[:12]}…)"))
    if version.description:
        grid.add_row("description", escape(version.description))
    if metrics:
        grid.add_row(
            "metrics", escape(", ".join(f"{k} {v:.4g}" for k, v in sorted(metrics.items())))
        )
    parts: list[RenderableType] = [grid]
    if evaluations:
        table = _table("evaluated on", "rows", "metrics", "source", "when (UTC)")
        for e in evaluations:
            table.add_row(
                escape(f"{e.data_path} ({e.data_digest[:10]}…)"),
                f"{e.rows:,}",
                escape(", ".join(f"{k} {v:.4g}" for k, v in sorted(e.metrics.items()))),
                escape(e.source),
                f"{e.created_at:%Y-%m-%d %H:%M}",
            )
        parts += ["", table]
    return Group(*parts)


def _plain_aliases(aliases: Sequence[str]) -> str:
    return " ".join(f"@{a}" for a in aliases)


def _schema_text(schema: Schema) -> str:
    if isinstance(schema, ColumnSchema):
        fields = [f"{c.name}: {c.dtype}" for c in schema.columns]
    else:
        fields = [f"{t.name or 'tensor'}: {t.dtype}{t.shape_text()}" for t in schema.tensors]
    shown = ", ".join(fields[:8])
    return shown + (f", … {len(fields) - 8} more" if len(fields) > 8 else "")


def history_table(events: Sequence[AliasEvent]) -> Table:
    table = _table("#", "time (UTC)", "alias", "move", "action", "by", "reason", "gates")
    for e in events:
        start = "—" if e.from_version is None else f"v{e.from_version}"
        end = "unset" if e.to_version is None else f"v{e.to_version}"
        gates = ""
        if e.evaluation is not None:
            results = list(e.evaluation.get("gates") or [])
            passed = sum(1 for g in results if g.get("passed"))
            gates = f"[green]{passed}/{len(results)} passed[/]" if results else "none configured"
        table.add_row(
            str(e.seq),
            f"{e.time:%Y-%m-%d %H:%M:%S}",
            f"[cyan]@{escape(e.alias)}[/]",
            f"{start} → {end}",
            e.action,
            escape(e.principal),
            escape(e.reason),
            gates,
        )
    return table


def gates_table(promotion: Promotion) -> Table:
    table = _table("gate", "check", "result", "evidence")
    for result in promotion.results:
        mark = "[green]✓ pass[/]" if result.passed else "[bold red]✗ FAIL[/]"
        table.add_row(escape(result.gate), escape(result.check), mark, escape(result.evidence))
    return table
