"""Profiles of string, boolean and other columns.

String columns keep their most frequent values with counts (exact up to 256
distinct values, Misra–Gries beyond), string lengths, and a distinct count
that is exact while the counts are, then a HyperLogLog sketch fed from the
moment the column outgrows the exact counters.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.profiling.column import ColumnKind, ColumnProfile
from shipyard.profiling.encoding import expect
from shipyard.profiling.sketches.distinct import HyperLogLog
from shipyard.profiling.sketches.frequent import FrequentItems, Value
from shipyard.profiling.sketches.hashing import hash_strings
from shipyard.profiling.sketches.moments import Moments

__all__ = ["BooleanColumn", "CategoricalColumn", "OtherColumn"]

TOP_IN_SUMMARY = 10


def _value_counts(array: pa.Array) -> tuple[list[Any], np.ndarray]:
    counted = pc.value_counts(array)
    values = counted.field("values")
    if isinstance(values, pa.DictionaryArray):
        values = values.dictionary_decode()
    counts = counted.field("counts").to_numpy(zero_copy_only=False)
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    return [v for v, ok in zip(values.to_pylist(), valid, strict=True) if ok], counts[valid]


class CategoricalColumn(ColumnProfile):
    kind: ClassVar[ColumnKind] = "categorical"

    def __init__(self, name: str, dtype: str) -> None:
        super().__init__(name, dtype)
        self.frequent = FrequentItems()
        self.lengths = Moments()
        self.hll: HyperLogLog | None = None  # fed once the exact counters overflow

    def update(self, array: pa.Array) -> None:
        self.rows += len(array)
        self.nulls += array.null_count
        if array.null_count == len(array):
            return
        values, counts = _value_counts(array)
        if self.hll is None and len(self.frequent.counts) + len(values) > self.frequent.capacity:
            self.hll = HyperLogLog()
            self.hll.update(hash_strings(self.frequent.counts))
        if self.hll is not None:
            self.hll.update(hash_strings(values))
        self.frequent.update(values, counts)
        plain = array.dictionary_decode() if isinstance(array, pa.DictionaryArray) else array
        lengths = pc.utf8_length(pc.drop_null(plain)).to_numpy(zero_copy_only=False)
        self.lengths.update(lengths.astype(np.float64))

    def merged(self, other: ColumnProfile) -> CategoricalColumn:
        self._check_mergeable(other)
        other = cast(CategoricalColumn, other)
        out = CategoricalColumn(self.name, self.dtype)
        self._merge_counts(out, other)
        out.frequent = self.frequent.merged(other.frequent)
        out.lengths = self.lengths.merged(other.lengths)
        if self.hll is not None or other.hll is not None or not out.frequent.exact:
            out.hll = HyperLogLog()
            for part in (self, other):
                if part.hll is not None:
                    out.hll = out.hll.merged(part.hll)
                else:
                    out.hll.update(hash_strings(part.frequent.counts))
        return out

    @property
    def distinct(self) -> float | None:
        if self.hll is None:
            return float(len(self.frequent.counts))
        return float(round(self.hll.estimate()))

    @property
    def distinct_exact(self) -> bool:
        return self.hll is None

    def top(self, n: int | None = None) -> list[tuple[Value, int]]:
        return self.frequent.top(n)

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out["distinct"] = self.distinct
        out["top"] = [[value, count] for value, count in self.top(TOP_IN_SUMMARY)]
        out["top_exact"] = self.frequent.exact
        if self.lengths.count:
            out["length"] = {
                "min": int(self.lengths.min),
                "max": int(self.lengths.max),
                "mean": self.lengths.mean,
            }
        return out

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "frequent": self.frequent.to_dict(),
            "lengths": self.lengths.to_dict(),
        }
        if self.hll is not None:
            out["distinct"] = self.hll.to_dict()
        return out

    def restore(self, data: dict[str, Any], what: str) -> None:
        self.frequent = FrequentItems.from_dict(
            expect(data, "frequent", dict, what=what), what=f"{what}.frequent"
        )
        self.lengths = Moments.from_dict(
            expect(data, "lengths", dict, what=what), what=f"{what}.lengths"
        )
        if "distinct" in data:
            self.hll = HyperLogLog.from_dict(data["distinct"], what=f"{what}.distinct")


class BooleanColumn(ColumnProfile):
    kind: ClassVar[ColumnKind] = "boolean"

    def __init__(self, name: str, dtype: str) -> None:
        super().__init__(name, dtype)
        self.true = 0

    def update(self, array: pa.Array) -> None:
        self.rows += len(array)
        self.nulls += array.null_count
        self.true += int(pc.sum(array).as_py() or 0)

    @property
    def false(self) -> int:
        return self.non_null - self.true

    def merged(self, other: ColumnProfile) -> BooleanColumn:
        self._check_mergeable(other)
        other = cast(BooleanColumn, other)
        out = BooleanColumn(self.name, self.dtype)
        self._merge_counts(out, other)
        out.true = self.true + other.true
        return out

    @property
    def distinct(self) -> float | None:
        return float((self.true > 0) + (self.false > 0))

    @property
    def distinct_exact(self) -> bool:
        return True

    def top(self, n: int | None = None) -> list[tuple[Value, int]]:
        items: list[tuple[Value, int]] = [(True, self.true), (False, self.false)]
        items = sorted((i for i in items if i[1] > 0), key=lambda i: -i[1])
        return items if n is None else items[:n]

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out.update(
            {"distinct": self.distinct, "top": [[v, c] for v, c in self.top()], "top_exact": True}
        )
        return out

    def state(self) -> dict[str, Any]:
        return {"true": self.true}

    def restore(self, data: dict[str, Any], what: str) -> None:
        from shipyard.core.errors import InvalidInput

        self.true = expect(data, "true", int, what=what)
        if not 0 <= self.true <= self.non_null:
            raise InvalidInput(f"malformed profile: {what}.true is out of range")


class OtherColumn(ColumnProfile):
    """Lists, structs, binary…: only row and null counts."""

    kind: ClassVar[ColumnKind] = "other"

    def update(self, array: pa.Array) -> None:
        self.rows += len(array)
        self.nulls += array.null_count

    def merged(self, other: ColumnProfile) -> OtherColumn:
        self._check_mergeable(other)
        out = OtherColumn(self.name, self.dtype)
        self._merge_counts(out, other)
        return out
