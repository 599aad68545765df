"""A validation result drawn for a terminal with Rich."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.text import Text

from shipyard.profiling.render import report_table
from shipyard.validate.runner import ValidationResult

__all__ = ["render_result"]


def _example(example: dict[str, object]) -> str:
    value = json.dumps(example["value"], default=str, ensure_ascii=False)
    value = value if len(value) <= 40 else value[:39] + "…"
    return f"row {example['row']:,}: {value}" if isinstance(example.get("row"), int) else value


def render_result(result: ValidationResult) -> RenderableType:
    if result.passed:
        return Text.from_markup(
            f"[green]✓[/] {escape(result.data)} passes suite {escape(result.suite)!s} "
            f"({result.rows:,} rows, {result.checked_columns} columns checked)"
        )
    table = report_table()
    table.add_column("column", overflow="fold")
    table.add_column("rule")
    table.add_column("expected", overflow="fold")
    table.add_column("failing", justify="right")
    table.add_column("examples", overflow="fold")
    for failure in result.failures:
        table.add_row(
            escape(failure.column or "(table)"),
            failure.rule,
            escape(failure.expected),
            f"{failure.failing:,}",
            escape("; ".join(_example(e) for e in failure.examples[:3])),
        )
    summary = Text.from_markup(
        f"[bold red]✗[/] {escape(result.data)} fails suite {escape(result.suite)}: "
        f"{len(result.failures)} rule(s) broken ({result.rows:,} rows)"
    )
    return Group(table, summary)
