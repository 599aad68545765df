"""Category counts of a column profile, and two of them put side by side."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from shipyard.profiling.categorical import BooleanColumn, CategoricalColumn
from shipyard.profiling.column import ColumnProfile
from shipyard.profiling.numeric import NumericColumn
from shipyard.profiling.sketches.frequent import Value

__all__ = ["Aligned", "CategoryCounts", "align", "category_counts"]

OTHER = "(other)"


@dataclass(frozen=True)
class CategoryCounts:
    counts: dict[Value, int]
    other: int = 0  # values not covered by ``counts`` (only when not exact)
    exact: bool = True


def category_counts(column: ColumnProfile) -> CategoryCounts | None:
    """The column's values with counts, if it keeps them (None for continuous numbers)."""
    if isinstance(column, CategoricalColumn):
        frequent = column.frequent
        return CategoryCounts(dict(frequent.counts), frequent.other, frequent.exact)
    if isinstance(column, BooleanColumn):
        return CategoryCounts({True: column.true, False: column.false})
    if isinstance(column, NumericColumn) and column.values is not None:
        counts: dict[Value, int] = {value: count for value, count in column.values.items()}
        return CategoryCounts(counts)
    return None


@dataclass(frozen=True)
class Aligned:
    labels: list[str]
    reference: npt.NDArray[np.float64]
    current: npt.NDArray[np.float64]
    unseen: dict[str, int] = field(default_factory=dict)


def _label(value: Value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def align(reference: CategoryCounts, current: CategoryCounts) -> Aligned:
    """Count vectors over the same categories, most frequent in the reference first.

    A current category the reference never had is *unseen* when the
    reference's counts are exact (its reference count is 0); when they are
    not, it may hide in the reference's tail, so both sides count it under
    ``(other)``.
    """
    ordered = sorted(reference.counts.items(), key=lambda item: (-item[1], _label(item[0])))
    keys: list[Value] = [key for key, _ in ordered]
    ref_counts = [float(count) for _, count in ordered]
    cur_counts = [float(current.counts.get(key, 0)) for key in keys]
    cur_other = float(current.other)
    unseen: dict[str, int] = {}
    for key, count in sorted(current.counts.items(), key=lambda item: -item[1]):
        if key in reference.counts:
            continue
        if reference.exact:
            unseen[_label(key)] = count
            keys.append(key)
            ref_counts.append(0.0)
            cur_counts.append(float(count))
        else:
            cur_other += count
    labels = [_label(key) for key in keys]
    if reference.other or cur_other:
        labels.append(OTHER)
        ref_counts.append(float(reference.other))
        cur_counts.append(cur_other)
    return Aligned(labels, np.array(ref_counts), np.array(cur_counts), unseen)
