"""A profile drawn for a terminal with Rich (used by ``data show`` and ``monitor profile``)."""

from __future__ import annotations

import math
from typing import Any, cast

from rich import box
from rich.console import Group, JustifyMethod, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shipyard.profiling.categorical import BooleanColumn, CategoricalColumn
from shipyard.profiling.numeric import NumericColumn
from shipyard.profiling.profile import Profile

__all__ = ["format_number", "render_profile", "sparkline"]

_BLOCKS = " ▁▂▃▄▅▆▇█"
SPARK_BINS = 12


def sparkline(counts: list[float]) -> str:
    """Counts as a row of block characters (empty bins are blank)."""
    top = max(counts, default=0.0)
    if top <= 0:
        return ""
    return "".join(
        _BLOCKS[0] if c <= 0 else _BLOCKS[max(1, round(c / top * (len(_BLOCKS) - 1)))]
        for c in counts
    )


def format_number(value: Any) -> str:
    """A number in at most ~8 characters: 12,345 · 0.0123 · 1.23e+09."""
    if isinstance(value, str):
        return value[:16].replace("T", " ") if "T" in value else value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or (
        isinstance(value, float) and value.is_integer() and abs(value) < 1e9
    ):
        return f"{int(value):,}"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1e5 or magnitude < 1e-3:
        return f"{value:.2e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if magnitude >= 1 else f"{value:.3g}"


def _distinct(column: Any) -> str:
    value = column.distinct
    if value is None:
        return "–"
    text = format_number(float(value))
    return text if column.distinct_exact else f"≈{text}"


def _top(column: CategoricalColumn | BooleanColumn, total: int) -> str:
    parts = [
        f"{escape(str(v) if not isinstance(v, bool) else str(v).lower())} {c / total:.0%}"
        for v, c in column.top(3)
    ]
    return ", ".join(parts)


def render_profile(profile: Profile, *, title: str | None = None) -> RenderableType:
    """A header line and one table row per column."""
    heading = Text.assemble(
        (title or profile.source or "profile", "bold"),
        f"  {profile.rows:,} rows × {len(profile.columns)} columns",
    )
    table = report_table()
    for name, justify in (
        ("column", "left"),
        ("type", "left"),
        ("nulls", "right"),
        ("distinct", "right"),
        ("min", "right"),
        ("mean", "right"),
        ("max", "right"),
        ("std", "right"),
        ("distribution", "left"),
    ):
        table.add_column(
            name,
            justify=cast(JustifyMethod, justify),
            overflow="fold",
            no_wrap=name not in ("column", "distribution"),
            min_width=SPARK_BINS if name.startswith("distribution") else None,
        )
    for column in profile.columns.values():
        nulls = f"{column.null_fraction:.1%}" if column.nulls else "0"
        cells = [escape(column.name), escape(column.dtype), nulls, _distinct(column)]
        if isinstance(column, NumericColumn) and column.count:
            _, counts = column.histogram(SPARK_BINS)
            cells += [
                format_number(column.display(column.min)),
                format_number(column.display(column.mean))
                if column.kind == "datetime"
                else format_number(column.mean),
                format_number(column.display(column.max)),
                "–" if column.kind == "datetime" else format_number(column.std),
                f"[cyan]{sparkline(counts)}[/]",
            ]
        elif isinstance(column, CategoricalColumn | BooleanColumn) and column.non_null:
            cells += ["", "", "", "", _top(column, column.non_null)]
        else:
            cells += [
                "",
                "",
                "",
                "",
                "[dim]all null[/]" if column.rows and not column.non_null else "",
            ]
        table.add_row(*cells)
    return Group(heading, table)


def report_table() -> Table:
    """The terminal table every data report uses: bold header, one rule, tight cells."""
    return Table(
        show_header=True,
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
