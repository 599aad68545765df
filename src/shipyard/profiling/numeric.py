"""Profiles of numeric and datetime columns: moments, quantile sketch, distinct count.

NaN counts as a null (as in pandas); ±inf are counted apart and left out of
the moments and the sketch, which describe the finite values. Datetimes are
profiled as seconds since the Unix epoch (UTC).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.core.errors import InvalidInput
from shipyard.profiling.column import ColumnKind, ColumnProfile
from shipyard.profiling.encoding import decode_array, encode_array, expect
from shipyard.profiling.sketches.distinct import HyperLogLog
from shipyard.profiling.sketches.hashing import hash_floats
from shipyard.profiling.sketches.moments import Moments
from shipyard.profiling.sketches.quantiles import QuantileSketch

__all__ = ["QUANTILES", "DatetimeColumn", "NumericColumn"]

#: Quantiles listed in summaries (the sketch answers any other).
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
#: Exact value counts are kept while a column has at most this many distinct values.
VALUE_COUNT_LIMIT = 32
HISTOGRAM_BINS = 20

Floats = npt.NDArray[np.float64]


class NumericColumn(ColumnProfile):
    kind: ClassVar[ColumnKind] = "numeric"

    def __init__(self, name: str, dtype: str) -> None:
        super().__init__(name, dtype)
        self.moments = Moments()
        self.sketch = QuantileSketch()
        self.hll = HyperLogLog()
        self.nan = 0
        self.pos_inf = 0
        self.neg_inf = 0
        self.values: dict[float, int] | None = {}

    @property
    def integer(self) -> bool:
        return self.dtype.startswith(("int", "uint"))

    def to_floats(self, array: pa.Array) -> Floats:
        if isinstance(array, pa.DictionaryArray):
            array = array.dictionary_decode()
        if pa.types.is_decimal(array.type):
            array = array.cast(pa.float64())
        return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)

    def update(self, array: pa.Array) -> None:
        if isinstance(array, pa.DictionaryArray):
            array = array.dictionary_decode()
        self.rows += len(array)
        if array.null_count:
            self.nulls += array.null_count
            array = pc.drop_null(array)
        values = self.to_floats(array)
        nan = np.isnan(values)
        n_nan = int(np.count_nonzero(nan))
        if n_nan:
            self.nan += n_nan
            self.nulls += n_nan
            values = values[~nan]
        values = np.sort(values)
        low = int(np.searchsorted(values, -math.inf, side="right"))
        high = int(np.searchsorted(values, math.inf, side="left"))
        self.neg_inf += low
        self.pos_inf += values.size - high
        values = values[low:high]
        if values.size == 0:
            return
        self.moments.update(values, sorted_=True)
        self.sketch.update_sorted(values)
        starts = np.empty(values.size, dtype=bool)
        starts[0] = True
        np.not_equal(values[1:], values[:-1], out=starts[1:])
        unique = values[starts]
        self.hll.update(hash_floats(unique))
        if self.values is not None:
            if unique.size > VALUE_COUNT_LIMIT:
                self.values = None
            else:
                counts = np.diff(np.append(np.flatnonzero(starts), values.size))
                for value, count in zip(unique.tolist(), counts.tolist(), strict=True):
                    self.values[value] = self.values.get(value, 0) + count
                if len(self.values) > VALUE_COUNT_LIMIT:
                    self.values = None

    def merged(self, other: ColumnProfile) -> NumericColumn:
        self._check_mergeable(other)
        other = cast(NumericColumn, other)
        same = self.dtype == other.dtype or self.kind == "datetime"
        out = type(self)(self.name, self.dtype if same else "double")
        self._merge_counts(out, other)
        out.moments = self.moments.merged(other.moments)
        out.sketch = self.sketch.merged(other.sketch)
        out.hll = self.hll.merged(other.hll)
        out.nan = self.nan + other.nan
        out.pos_inf = self.pos_inf + other.pos_inf
        out.neg_inf = self.neg_inf + other.neg_inf
        if self.values is None or other.values is None:
            out.values = None
        else:
            out.values = dict(self.values)
            for value, count in other.values.items():
                out.values[value] = out.values.get(value, 0) + count
            if len(out.values) > VALUE_COUNT_LIMIT:
                out.values = None
        return out

    # -- figures ----------------------------------------------------------------------

    @property
    def count(self) -> int:
        """How many finite values the moments and the sketch describe."""
        return self.moments.count

    @property
    def distinct(self) -> float | None:
        if self.values is not None:
            return float(len(self.values) + (self.pos_inf > 0) + (self.neg_inf > 0))
        return round(self.hll.estimate())

    @property
    def distinct_exact(self) -> bool:
        return self.values is not None

    @property
    def mean(self) -> float:
        return self.moments.mean if self.count else math.nan

    @property
    def std(self) -> float:
        return self.moments.std

    @property
    def min(self) -> float:
        return self.moments.min if self.count else math.nan

    @property
    def max(self) -> float:
        return self.moments.max if self.count else math.nan

    def quantile(self, q: float) -> float:
        if q <= 0:
            return self.min
        if q >= 1:
            return self.max
        return float(self.sketch.quantiles(np.array([q]))[0])

    def histogram(self, bins: int = HISTOGRAM_BINS) -> tuple[list[float], list[float]]:
        """Bin edges over [min, max] and the (estimated) count in each bin."""
        if not self.count:
            return [], []
        values, weights = self.sketch.weighted()
        low, high = self.min, self.max
        if low == high:
            return [low, high], [float(self.count)]
        counts, edges = np.histogram(values, bins=bins, range=(low, high), weights=weights)
        return edges.tolist(), counts.tolist()

    def display(self, value: float) -> str | float:
        """A value as people read it (dates for datetime columns)."""
        return value

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        if not self.count:
            return out
        edges, counts = self.histogram()
        out.update(
            {
                "mean": self.mean,
                "std": None if math.isnan(self.std) else self.std,
                "min": self.display(self.min),
                "max": self.display(self.max),
                "quantiles": {
                    f"p{round(q * 100):02d}": self.display(self.quantile(q)) for q in QUANTILES
                },
                "distinct": self.distinct,
                "histogram": {"edges": edges, "counts": counts},
            }
        )
        if self.pos_inf or self.neg_inf:
            out["infinite"] = self.pos_inf + self.neg_inf
        return out

    # -- storage ------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "moments": self.moments.to_dict(),
            "quantiles": self.sketch.to_dict(),
            "distinct": self.hll.to_dict(),
            "nan": self.nan,
            "pos_inf": self.pos_inf,
            "neg_inf": self.neg_inf,
        }
        if self.values is not None:
            keys = np.array(sorted(self.values), dtype=np.float64)
            out["values"] = {
                "values": encode_array(keys),
                "counts": encode_array(
                    np.array([self.values[k] for k in keys.tolist()], dtype=np.int64)
                ),
            }
        return out

    def restore(self, data: dict[str, Any], what: str) -> None:
        self.moments = Moments.from_dict(
            expect(data, "moments", dict, what=what), what=f"{what}.moments"
        )
        self.sketch = QuantileSketch.from_dict(
            expect(data, "quantiles", dict, what=what), what=f"{what}.quantiles"
        )
        self.hll = HyperLogLog.from_dict(
            expect(data, "distinct", dict, what=what), what=f"{what}.distinct"
        )
        self.nan, self.pos_inf, self.neg_inf = (
            expect(data, key, int, what=what) for key in ("nan", "pos_inf", "neg_inf")
        )
        if self.sketch.n != self.moments.count:
            raise InvalidInput(f"malformed profile: {what} counts disagree")
        if "values" in data:
            table = expect(data, "values", dict, what=what)
            keys = decode_array(
                expect(table, "values", dict, what=what), "f8", what=f"{what}.values"
            )
            counts = decode_array(
                expect(table, "counts", dict, what=what), "i8", what=f"{what}.values"
            )
            if keys.size != counts.size or int(counts.sum()) != self.moments.count:
                raise InvalidInput(f"malformed profile: {what}.values is inconsistent")
            self.values = dict(zip(keys.tolist(), counts.tolist(), strict=True))
        else:
            self.values = None


_SECONDS_PER_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


class DatetimeColumn(NumericColumn):
    """Dates and timestamps, as float seconds since 1970-01-01 UTC."""

    kind: ClassVar[ColumnKind] = "datetime"

    @property
    def integer(self) -> bool:
        return False

    def to_floats(self, array: pa.Array) -> Floats:
        dtype = array.type
        if pa.types.is_date32(dtype):
            scale = 86400.0
            raw = array.cast(pa.int32())
        elif pa.types.is_date64(dtype):
            scale = 1e-3
            raw = array.cast(pa.int64())
        else:
            scale = _SECONDS_PER_UNIT[dtype.unit]
            raw = array.cast(pa.int64())
        return np.asarray(raw.to_numpy(zero_copy_only=False), dtype=np.float64) * scale

    def display(self, value: float) -> str | float:
        if math.isnan(value):
            return value
        try:
            return datetime.fromtimestamp(value, tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return value
