"""Drafting a suite from data: what the data is now, as rules a person can edit.

From one profiling pass (plus a second pass over the few columns that look
unique, to confirm uniqueness exactly):

- every column with its type; ``required: true``;
- ``max_null_fraction``: 0 when the column has no nulls, else the observed
  share plus 20 %, rounded up;
- ``min``/``max`` for numbers and dates: the observed range (exact);
- ``allowed`` for text with at most 20 distinct values that repeat (exact counts);
- ``pattern`` for other text whose sampled values share a shape
  (see ``patterns.py``), and ``min_length``/``max_length``;
- ``unique: true`` for integer and text columns with no repeated value;
- ``rows``: half to twice the observed row count, only when asked (``rows=True``):
  a suite drafted from a training set would otherwise fail every smaller batch.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.profiling.categorical import BooleanColumn, CategoricalColumn
from shipyard.profiling.column import ColumnProfile
from shipyard.profiling.numeric import NumericColumn
from shipyard.profiling.profile import Profile
from shipyard.validate.patterns import infer_pattern
from shipyard.validate.suite import ColumnRules, Suite

if TYPE_CHECKING:
    from shipyard.profiling.reader import Progress

__all__ = ["MAX_ALLOWED", "infer_suite"]

MAX_ALLOWED = 20
_NULL_MARGIN = 1.2
_SAMPLE_ROWS = 2000


def _type(column: ColumnProfile) -> str:
    if isinstance(column, NumericColumn):
        if column.kind == "datetime":
            return "datetime"
        return "integer" if column.integer else "float"
    if isinstance(column, BooleanColumn):
        return "boolean"
    if isinstance(column, CategoricalColumn):
        return "string"
    return "any"


def _null_fraction(column: ColumnProfile) -> float:
    if column.nulls == 0:
        return 0.0
    return min(1.0, math.ceil(column.null_fraction * _NULL_MARGIN * 1000) / 1000)


def _bound(column: NumericColumn, value: float) -> int | float | str:
    if column.kind == "datetime":
        shown = column.display(value)
        return shown if isinstance(shown, str) else value
    if column.integer:
        return int(value)
    return value


def _might_be_unique(column: ColumnProfile) -> bool:
    if column.non_null < 2:
        return False
    if isinstance(column, NumericColumn) and column.integer:
        pass
    elif not isinstance(column, CategoricalColumn):
        return False
    distinct = column.distinct or 0.0
    if column.distinct_exact:
        return distinct == column.non_null
    return distinct >= 0.97 * column.non_null


def _rules(column: ColumnProfile, samples: list[Any], unique: bool) -> ColumnRules:
    fields: dict[str, Any] = {
        "name": column.name,
        "type": _type(column),
        "max_null_fraction": _null_fraction(column),
        "unique": unique,
    }
    if isinstance(column, NumericColumn) and column.count:
        fields["min"] = _bound(column, column.min)
        fields["max"] = _bound(column, column.max)
    if isinstance(column, CategoricalColumn) and column.non_null:
        frequent = column.frequent
        repeats = len(frequent.counts) < column.non_null
        if frequent.exact and len(frequent.counts) <= MAX_ALLOWED and repeats and not unique:
            fields["allowed"] = tuple(sorted(str(v) for v in frequent.counts))
        else:
            pattern = infer_pattern([s for s in samples if isinstance(s, str)])
            if pattern is not None:
                fields["pattern"] = pattern
        if column.lengths.count:
            fields["min_length"] = int(column.lengths.min)
            fields["max_length"] = int(column.lengths.max)
    return ColumnRules(**fields)


def infer_suite(
    data: Any,
    *,
    name: str | None = None,
    progress: Progress | None = None,
    rows: bool = False,
) -> Suite:
    """Draft a suite from ``data`` (a CSV/Parquet path, a pyarrow Table or a DataFrame);
    ``rows``: also bound the row count (half to twice what ``data`` has)."""
    from shipyard.profiling.profiler import profile_file, profile_table
    from shipyard.validate.runner import run_suite

    if isinstance(data, str | Path):
        path = Path(data)
        profile: Profile = profile_file(path, progress, sample_rows=_SAMPLE_ROWS)
        label = name or path.name.split(".")[0]
    else:
        profile = profile_table(data, sample_rows=_SAMPLE_ROWS)
        label = name or "data"
    candidates = [c.name for c in profile.columns.values() if _might_be_unique(c)]
    unique: set[str] = set()
    if candidates:
        probe = Suite(label, {n: ColumnRules(n, unique=True) for n in candidates})
        result = run_suite(probe, data)
        failed = {f.column for f in result.failures}
        unique = {n for n in candidates if n not in failed}
    sample = profile.sample_rows()
    columns: dict[str, ColumnRules] = {}
    for column in profile.columns.values():
        values = (
            sample.column(column.name).to_pylist()
            if sample is not None and column.name in sample.column_names
            else []
        )
        columns[column.name] = _rules(column, values, column.name in unique)
    count = profile.rows
    return Suite(
        label,
        columns,
        rows_min=count // 2 if rows else None,
        rows_max=max(count * 2, 1) if rows else None,
        source=profile.source,
    )
