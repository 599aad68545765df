"""Compact figures of stored profiles for the web UI: per column, and two versions compared.

A stored profile holds mergeable sketches (kilobytes per column); a page needs a
few numbers and a histogram. The figures come from the profile's own code
(:meth:`ColumnProfile.summary`), cut to a size that does not grow with the data:
at most :data:`MAX_COLUMNS` columns a file, the summary's 20 histogram bins and
10 top values, text cut to :data:`MAX_TEXT` characters. Numbers that JSON cannot
hold (NaN, infinities) become None.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipyard.profiling.column import ColumnProfile
    from shipyard.profiling.profile import Profile

__all__ = [
    "MAX_COLUMNS",
    "MAX_TEXT",
    "STATS",
    "column_changes",
    "column_figures",
    "figures",
    "short_text",
]

MAX_COLUMNS = 200
"""Columns shown per file (the others are counted, not listed)."""
MAX_TEXT = 200
"""Characters of a column name or a top value shown (the rest is cut, marked ``…``)."""
STATS = ("rows", "nulls", "null_fraction", "distinct", "mean", "std", "min", "max")
"""What two versions of a column are compared on, in this order."""


def column_figures(column: ColumnProfile) -> dict[str, Any]:
    """Name, type, counts, numeric figures and a histogram or top values of one column."""
    summary = column.summary()
    histogram = summary.get("histogram")
    top = summary.get("top")
    return {
        "name": short_text(column.name),
        "dtype": short_text(column.dtype),
        "kind": column.kind,
        "rows": column.rows,
        "nulls": column.nulls,
        "null_fraction": _number(column.null_fraction),
        "distinct": _number(summary.get("distinct")),
        "distinct_exact": column.distinct_exact,
        "mean": _number(summary.get("mean")),
        "std": _number(summary.get("std")),
        "min": _value(summary.get("min")),
        "max": _value(summary.get("max")),
        "histogram": (
            {
                "edges": [_number(e) for e in histogram["edges"]],
                "counts": [_number(round(c, 3)) for c in histogram["counts"]],
            }
            if histogram and histogram.get("counts")
            else None
        ),
        "top": (
            [{"value": _text(value), "count": int(count)} for value, count in top]
            if top is not None
            else None
        ),
        "top_exact": summary.get("top_exact"),
    }


def figures(profile: Profile) -> dict[str, Any]:
    """Rows and the figures of the first :data:`MAX_COLUMNS` columns of a profile."""
    columns = list(profile.columns.values())
    return {
        "rows": profile.rows,
        "columns_total": len(columns),
        "columns": [column_figures(c) for c in columns[:MAX_COLUMNS]],
    }


def column_changes(before: Profile, after: Profile) -> dict[str, Any]:
    """The columns both profiles have, each with :data:`STATS` before and after.

    A column is ``changed`` when its type or one of its figures differs (an
    estimated distinct count differs when the data does, which is the point).
    """
    common = [name for name in after.columns if name in before.columns]
    compared = []
    for name in common[:MAX_COLUMNS]:
        old, new = column_figures(before.columns[name]), column_figures(after.columns[name])
        stats = [
            {
                "stat": stat,
                "before": old[stat],
                "after": new[stat],
                "changed": old[stat] != new[stat],
            }
            for stat in STATS
            if old[stat] is not None or new[stat] is not None
        ]
        retyped = old["dtype"] != new["dtype"]
        compared.append(
            {
                "name": new["name"],
                "dtype_before": old["dtype"],
                "dtype_after": new["dtype"],
                "kind_before": old["kind"],
                "kind_after": new["kind"],
                "changed": retyped or any(s["changed"] for s in stats),
                "stats": stats,
            }
        )
    return {"columns_total": len(common), "columns": compared}


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _value(value: Any) -> float | int | str | None:
    """A minimum or maximum: a number, or a date as text (datetime columns)."""
    return short_text(value) if isinstance(value, str) else _number(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return short_text(str(value))


def short_text(text: str) -> str:
    """``text`` cut to :data:`MAX_TEXT` characters."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
