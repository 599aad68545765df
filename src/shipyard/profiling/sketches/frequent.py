"""Top values with counts: exact while few, Misra–Gries beyond (bounded memory).

Counts are exact as long as a column has at most ``capacity`` distinct values
(256 by default), which covers most categorical features. Past that, the
summary keeps ``capacity`` counters and applies the Misra–Gries reduction
(Misra and Gries, 1982): subtract the (capacity+1)-th largest count from all
counters and drop those that reach zero. Every kept count is then a lower
bound, short of the truth by at most ``error`` (the sum of the subtractions,
≤ n / (capacity + 1)), and any value more frequent than ``error`` is kept.
Summaries merge by adding counters and reducing again (Agarwal et al.,
"Mergeable summaries", 2012).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from shipyard.core.errors import InvalidInput
from shipyard.profiling.encoding import expect

__all__ = ["DEFAULT_CAPACITY", "FrequentItems", "Value"]

DEFAULT_CAPACITY = 256

Value = str | bool | float | int


class FrequentItems:
    """Counts of the most frequent values of a column."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self.counts: dict[Value, int] = {}
        self.total = 0
        self.error = 0

    @property
    def exact(self) -> bool:
        """True while every count is exact (no reduction happened)."""
        return self.error == 0

    def update(self, values: Sequence[Value], counts: npt.NDArray[np.int64]) -> None:
        """Add distinct ``values`` seen ``counts`` times each."""
        if len(values) > self.capacity:  # reduce the batch before touching Python dicts
            keep = np.argpartition(-counts, self.capacity)[: self.capacity + 1]
            threshold = int(np.min(counts[keep]))
            self.total += int(counts.sum())
            self.error += threshold
            for i in keep:
                c = int(counts[i]) - threshold
                if c > 0:
                    self.counts[values[i]] = self.counts.get(values[i], 0) + c
        else:
            self.total += int(counts.sum())
            for value, c in zip(values, counts.tolist(), strict=True):
                self.counts[value] = self.counts.get(value, 0) + c
        self._reduce()

    def _reduce(self) -> None:
        if len(self.counts) <= self.capacity:
            return
        ordered = sorted(self.counts.values(), reverse=True)
        threshold = ordered[self.capacity]
        self.error += threshold
        self.counts = {v: c - threshold for v, c in self.counts.items() if c > threshold}

    def merged(self, other: FrequentItems) -> FrequentItems:
        out = FrequentItems(min(self.capacity, other.capacity))
        out.counts = dict(self.counts)
        for value, c in other.counts.items():
            out.counts[value] = out.counts.get(value, 0) + c
        out.total = self.total + other.total
        out.error = self.error + other.error
        out._reduce()
        return out

    def top(self, n: int | None = None) -> list[tuple[Value, int]]:
        """The ``n`` most frequent values with their counts, most frequent first."""
        items = sorted(self.counts.items(), key=lambda item: (-item[1], str(item[0])))
        return items if n is None else items[:n]

    @property
    def other(self) -> int:
        """How many values are not covered by the kept counters."""
        return self.total - sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "misra-gries",
            "capacity": self.capacity,
            "total": self.total,
            "error": self.error,
            "items": [[value, count] for value, count in self.top()],
        }

    @classmethod
    def from_dict(cls, data: Any, *, what: str) -> FrequentItems:
        if expect(data, "kind", str, what=what) != "misra-gries":
            raise InvalidInput(f"malformed profile: {what} is not a frequent-items summary")
        capacity = expect(data, "capacity", int, what=what)
        items = expect(data, "items", list, what=what)
        out = cls(max(capacity, 1))
        out.total = expect(data, "total", int, what=what)
        out.error = expect(data, "error", int, what=what)
        for item in items:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[0], str | bool | int | float)
                or isinstance(item[1], bool)
                or not isinstance(item[1], int)
                or item[1] <= 0
            ):
                raise InvalidInput(f"malformed profile: {what}.items holds a bad entry")
            out.counts[item[0]] = item[1]
        if len(out.counts) > out.capacity or out.other < 0 or out.error < 0:
            raise InvalidInput(f"malformed profile: {what} is inconsistent")
        return out
