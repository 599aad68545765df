"""Count, mean, variance, min and max, merged with Chan et al.'s update.

Each batch's mean and sum of squared deviations (M2) are computed with numpy
(pairwise summation), then folded into the running totals with the parallel
formula of Chan, Golub and LeVeque (1979), the batch form of Welford's (1962)
update. Unlike accumulating Σx and Σx², it does not lose precision when the
mean is large compared with the spread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shipyard.core.errors import InvalidInput
from shipyard.profiling.encoding import expect

__all__ = ["Moments"]


@dataclass
class Moments:
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def update(self, values: npt.NDArray[np.float64], *, sorted_: bool = False) -> None:
        """Add finite values (``sorted_`` lets min/max be read off the ends)."""
        n = int(values.size)
        if n == 0:
            return
        mean = float(np.mean(values))
        m2 = float(np.sum(np.square(values - mean)))
        low, high = (
            (float(values[0]), float(values[-1]))
            if sorted_
            else (float(values.min()), float(values.max()))
        )
        self._combine(n, mean, m2, low, high)

    def _combine(self, n: int, mean: float, m2: float, low: float, high: float) -> None:
        if self.count == 0:
            self.count, self.mean, self.m2, self.min, self.max = n, mean, m2, low, high
            return
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total
        self.min = min(self.min, low)
        self.max = max(self.max, high)

    def merged(self, other: Moments) -> Moments:
        out = Moments(self.count, self.mean, self.m2, self.min, self.max)
        if other.count:
            out._combine(other.count, other.mean, other.m2, other.min, other.max)
        return out

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1), as pandas reports it; NaN below two values."""
        return self.m2 / (self.count - 1) if self.count > 1 else math.nan

    @property
    def std(self) -> float:
        return math.sqrt(self.variance) if self.count > 1 else math.nan

    @property
    def population_std(self) -> float:
        """Standard deviation with ddof=0 (numpy's default)."""
        return math.sqrt(self.m2 / self.count) if self.count else math.nan

    def to_dict(self) -> dict[str, Any]:
        if not self.count:
            return {"count": 0}
        return {"count": self.count, "mean": self.mean, "m2": self.m2, "min": self.min,
                "max": self.max}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Any, *, what: str) -> Moments:
        count = expect(data, "count", int, what=what)
        if count < 0:
            raise InvalidInput(f"malformed profile: {what}.count is negative")
        if count == 0:
            return cls()
        mean, m2, low, high = (
            float(expect(data, key, (int, float), what=what))
            for key in ("mean", "m2", "min", "max")
        )
        if m2 < 0 or low > high:
            raise InvalidInput(f"malformed profile: {what} holds impossible values")
        return cls(count, mean, m2, low, high)
