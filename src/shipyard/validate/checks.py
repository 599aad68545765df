"""Checking one column's batches against its rules, in a streaming pass.

Each rule keeps a count of failing values and the first few examples (value
and 1-based row number). Uniqueness needs every value at once: the column's
values are kept in Arrow arrays (compact: about the column's own size) and
counted at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.profiling.column import kind_of
from shipyard.validate.suite import ColumnRules

__all__ = ["EXAMPLES", "ColumnChecker", "Failure", "type_matches"]

EXAMPLES = 5


@dataclass
class Failure:
    column: str | None
    rule: str
    expected: str
    failing: int = 0
    examples: list[Any] = field(default_factory=list)
    line: int = 0

    def add(self, values: list[Any], rows: list[int], count: int) -> None:
        self.failing += count
        room = EXAMPLES - len(self.examples)
        for value, row in list(zip(values, rows, strict=True))[: max(room, 0)]:
            self.examples.append({"row": row, "value": _plain(value)})

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "rule": self.rule,
            "expected": self.expected,
            "failing": self.failing,
            "examples": self.examples,
            "line": self.line,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return "NaN"
    return value


def type_matches(expected: str, dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_null(dtype):
        return True  # an all-null column has no type to contradict
    kind = kind_of(dtype)
    matches: dict[str, bool] = {
        "any": True,
        "integer": pa.types.is_integer(dtype),
        "float": pa.types.is_floating(dtype)
        or pa.types.is_integer(dtype)
        or pa.types.is_decimal(dtype),
        "number": kind == "numeric",
        "string": kind == "categorical",
        "boolean": kind == "boolean",
        "datetime": kind == "datetime",
    }
    return matches[expected]


def _scalar_for(bound: Any, dtype: pa.DataType) -> pa.Scalar:
    if isinstance(bound, str):
        moment = datetime.fromisoformat(bound)
        if pa.types.is_timestamp(dtype) and dtype.tz is None and moment.tzinfo is not None:
            moment = moment.replace(tzinfo=None)
        return pa.scalar(moment).cast(dtype)
    return pa.scalar(float(bound), pa.float64())


class ColumnChecker:
    """Applies one column's rules to each batch; failures accumulate."""

    def __init__(self, rules: ColumnRules, dtype: pa.DataType) -> None:
        self.rules = rules
        self.dtype = dtype.value_type if pa.types.is_dictionary(dtype) else dtype
        self.kind = kind_of(self.dtype)
        self.nulls = 0
        self.failures: dict[str, Failure] = {}
        self._unique_parts: list[pa.Array] = []
        self._null_rows: list[int] = []
        self.typed = type_matches(rules.type, dtype)
        if not self.typed:
            self._failure("type", f"type {rules.type}").examples.append(
                {"row": None, "value": str(self.dtype)}
            )

    def _failure(self, rule: str, expected: str) -> Failure:
        if rule not in self.failures:
            self.failures[rule] = Failure(self.rules.name, rule, expected, line=self.rules.line)
        return self.failures[rule]

    def _record(
        self, rule: str, expected: str, array: pa.Array, bad: pa.Array, offset: int
    ) -> None:
        mask = bad.fill_null(False)
        count = pc.sum(mask).as_py() or 0
        if not count:
            return
        positions = np.flatnonzero(mask.to_numpy(zero_copy_only=False))[:EXAMPLES]
        values = array.take(pa.array(positions)).to_pylist()
        self._failure(rule, expected).add(values, [offset + int(p) + 1 for p in positions], count)

    def update(self, array: pa.Array, offset: int) -> None:
        if isinstance(array, pa.DictionaryArray):
            array = array.dictionary_decode()
        rules = self.rules
        nulls = array.is_null(nan_is_null=True)
        null_count = pc.sum(nulls).as_py() or 0
        if null_count:
            self.nulls += null_count
            if len(self._null_rows) < EXAMPLES:
                first = np.flatnonzero(nulls.to_numpy(zero_copy_only=False))[:EXAMPLES]
                self._null_rows.extend(offset + int(p) + 1 for p in first)
        if not self.typed or pa.types.is_null(array.type):
            return
        numeric = self.kind in ("numeric", "datetime")
        if numeric and rules.min is not None:
            self._record(
                "min",
                f"≥ {rules.min}",
                array,
                pc.less(array, _scalar_for(rules.min, array.type)),
                offset,
            )
        if numeric and rules.max is not None:
            self._record(
                "max",
                f"≤ {rules.max}",
                array,
                pc.greater(array, _scalar_for(rules.max, array.type)),
                offset,
            )
        if rules.allowed is not None:
            allowed = _allowed_array(rules.allowed, array.type)
            if allowed is not None:
                inside = pc.is_in(array, value_set=allowed)
                bad = pc.and_(pc.invert(inside), pc.is_valid(array))
                self._record(
                    "allowed", f"one of {len(rules.allowed)} allowed values", array, bad, offset
                )
        if self.kind == "categorical":
            if rules.pattern is not None:
                matched = pc.match_substring_regex(array, pattern=f"^(?:{rules.pattern})$")
                self._record(
                    "pattern", f"matches {rules.pattern}", array, pc.invert(matched), offset
                )
            if rules.min_length is not None or rules.max_length is not None:
                lengths = pc.utf8_length(array)
                if rules.min_length is not None:
                    self._record(
                        "min_length",
                        f"length ≥ {rules.min_length}",
                        array,
                        pc.less(lengths, rules.min_length),
                        offset,
                    )
                if rules.max_length is not None:
                    self._record(
                        "max_length",
                        f"length ≤ {rules.max_length}",
                        array,
                        pc.greater(lengths, rules.max_length),
                        offset,
                    )
        if rules.unique:
            self._unique_parts.append(pc.drop_null(array))

    def finish(self, rows: int) -> list[Failure]:
        rules = self.rules
        if rules.max_null_fraction is not None and rows:
            fraction = self.nulls / rows
            if fraction > rules.max_null_fraction + 1e-12:
                failure = self._failure(
                    "max_null_fraction", f"≤ {rules.max_null_fraction:.2%} null"
                )
                failure.failing = self.nulls
                failure.examples = [{"row": r, "value": None} for r in self._null_rows]
        if rules.unique and self._unique_parts:
            self._check_unique()
        return list(self.failures.values())

    def _check_unique(self) -> None:
        values = pa.chunked_array(self._unique_parts)
        self._unique_parts = []
        counted = pc.value_counts(values)
        counts = counted.field("counts")
        repeated = pc.greater(counts, 1)
        duplicates = (pc.sum(pc.subtract(pc.filter(counts, repeated), 1)).as_py()) or 0
        if duplicates:
            examples = pc.filter(counted.field("values"), repeated)[:EXAMPLES].to_pylist()
            failure = self._failure("unique", "unique values")
            failure.failing = duplicates
            failure.examples = [{"row": None, "value": _plain(v)} for v in examples]


def _allowed_array(allowed: tuple[Any, ...], dtype: pa.DataType) -> pa.Array | None:
    try:
        if pa.types.is_boolean(dtype):
            return pa.array([v for v in allowed if isinstance(v, bool)], pa.bool_())
        if pa.types.is_integer(dtype) or pa.types.is_floating(dtype):
            numbers = [v for v in allowed if isinstance(v, int | float) and not isinstance(v, bool)]
            return pa.array(numbers, pa.float64()).cast(dtype, safe=False)
        return pa.array(
            [str(v).lower() if isinstance(v, bool) else str(v) for v in allowed], pa.string()
        ).cast(dtype)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
