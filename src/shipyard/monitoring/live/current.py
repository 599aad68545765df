"""The current side of a live monitor: one profile of a window's traffic, built batch by batch.

Stored batches need not share a schema: a new model version may add a
column, a column may be all-null in one batch (Arrow's null type) and typed
in the next, or carry text where numbers were sent before. Each column's
kind is fixed by the first batch that types it; later batches are cast to
it. Values that cannot be cast count as nulls and are reported as a
``type_mismatch`` finding, so a bad batch never stops the run. Memory holds
the column sketches and the row sample, not the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from shipyard.monitoring.report import Finding
from shipyard.profiling.column import ColumnProfile, kind_of
from shipyard.profiling.columns import dtype_name, new_column
from shipyard.profiling.profile import Profile
from shipyard.profiling.sketches.sample import RowSample

__all__ = ["WindowProfiler"]


@dataclass
class _Column:
    profile: ColumnProfile
    arrow_type: pa.DataType
    mismatched: int = 0
    seen_as: set[str] = field(default_factory=set)


class WindowProfiler:
    """Accumulates record batches of varying schemas into one :class:`Profile`."""

    def __init__(self, *, sample_rows: int, source: str) -> None:
        self.columns: dict[str, _Column] = {}
        self.sample = RowSample(sample_rows)
        self.rows = 0
        self.source = source
        self.null_only: dict[str, None] = {}

    def update(self, table: pa.Table) -> None:
        """Add a table's rows (meta columns already dropped)."""
        if table.num_rows == 0:
            return
        arrays: dict[str, pa.Array] = {}
        for name in table.column_names:
            array = table.column(name).combine_chunks()
            if isinstance(array, pa.DictionaryArray):
                array = array.dictionary_decode()
            column = self.columns.get(name)
            if column is None:
                if pa.types.is_null(array.type):
                    self.null_only.setdefault(name, None)  # no type yet: nulls until one comes
                    continue
                column = self._new(name, array.type)
            arrays[name] = self._conform(column, array)
        n = table.num_rows
        for name, column in self.columns.items():
            array = arrays.get(name)
            if array is None:
                array = pa.nulls(n, column.arrow_type)
                arrays[name] = array
            column.profile.update(array)
        self.sample.update(pa.RecordBatch.from_pydict({k: arrays[k] for k in self.columns}))
        self.rows += n

    def _new(self, name: str, arrow_type: pa.DataType) -> _Column:
        profile = new_column(pa.field(name, arrow_type))
        # the first type that came is the column's; text is kept as plain strings
        target = pa.string() if profile.kind == "categorical" else arrow_type
        profile.rows = profile.nulls = self.rows  # the rows before it appeared: nulls
        column = _Column(profile, target)
        self.columns[name] = column
        return column

    def _conform(self, column: _Column, array: pa.Array) -> pa.Array:
        kind = column.profile.kind
        if pa.types.is_null(array.type):
            return pa.nulls(len(array), column.arrow_type)
        if kind == "numeric" and array.type != column.arrow_type:
            # ints then floats (or text): widen the column once to float64 and keep it
            if not pa.types.is_float64(column.arrow_type):
                column.profile.dtype = dtype_name(pa.float64())
                column.arrow_type = pa.float64()
            if kind_of(array.type) == "numeric":
                return array.cast(pa.float64())
        if array.type == column.arrow_type:
            return array
        try:
            return array.cast(column.arrow_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass
        # value by value: what casts is kept, the rest becomes null and is reported
        column.seen_as.add(dtype_name(array.type))
        strings = array.cast(pa.string()) if kind_of(array.type) != "other" else None
        if strings is None:
            column.mismatched += len(array) - array.null_count
            return pa.nulls(len(array), column.arrow_type)
        kept = _cast_each(strings, column.arrow_type)
        column.mismatched += kept.null_count - strings.null_count
        return kept

    def profile(self) -> Profile:
        columns = [c.profile for c in self.columns.values()]
        for name in self.null_only:
            if name not in self.columns:  # present, never typed: an all-null column
                empty = new_column(pa.field(name, pa.null()))
                empty.rows = empty.nulls = self.rows
                columns.append(empty)
        return Profile(columns, rows=self.rows, sample=self.sample, source=self.source)

    def findings(self) -> list[Finding]:
        notes = []
        for name, column in self.columns.items():
            if column.mismatched:
                seen = ", ".join(sorted(column.seen_as)) or "another type"
                notes.append(
                    Finding(
                        "error",
                        "type_mismatch",
                        f"{name}: {column.mismatched:,} live values were {seen} where the "
                        f"window's {column.profile.kind} column expects "
                        f"{dtype_name(column.arrow_type)}; they count as nulls",
                        name,
                    )
                )
        return notes


def _cast_each(strings: pa.Array, target: pa.DataType) -> pa.Array:
    """Each text value cast to ``target``; values that do not cast become null."""
    if kind_of(target) == "numeric":
        import pandas as pd

        numbers = pd.to_numeric(strings.to_pandas(), errors="coerce")
        return pa.array(numbers, from_pandas=True).cast(target, safe=False)
    kept: list[object] = []
    for value in strings.to_pylist():
        try:
            kept.append(None if value is None else pc.cast(pa.array([value]), target)[0].as_py())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            kept.append(None)
    return pa.array(kept, target)
