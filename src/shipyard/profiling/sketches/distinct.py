"""HyperLogLog distinct counts (Flajolet et al., 2007) with Ertl's estimator.

``2**p`` one-byte registers (4,096 by default, 1.6 % standard error) each
keep the longest run of leading zero bits seen among the 64-bit hashes routed
to it. Registers merge by element-wise maximum. The estimate uses Ertl's
improved estimator ("New cardinality estimation algorithms for HyperLogLog
sketches", 2017), which is unbiased from a handful of values up to 2**64
without the empirical bias tables or range switches of the original paper.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from shipyard.core.errors import InvalidInput
from shipyard.profiling.encoding import decode_array, encode_array, expect

__all__ = ["DEFAULT_PRECISION", "HyperLogLog"]

DEFAULT_PRECISION = 12
_U64 = np.uint64


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if z == previous:
            return z


def _tau(x: float) -> float:
    if x in (0.0, 1.0):
        return 0.0
    y, z = 1.0, 1.0 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= (1.0 - x) ** 2 * y
        if z == previous:
            return z / 3.0


class HyperLogLog:
    """Estimated number of distinct values among the hashes added."""

    def __init__(self, precision: int = DEFAULT_PRECISION) -> None:
        if not 4 <= precision <= 18:
            raise ValueError("precision must be between 4 and 18")
        self.precision = precision
        self.registers = np.zeros(1 << precision, dtype=np.uint8)

    def update(self, hashes: npt.NDArray[np.uint64]) -> None:
        if hashes.size == 0:
            return
        q = 64 - self.precision
        index = hashes >> _U64(q)
        rest = hashes & _U64((1 << q) - 1)
        # rank(rest) = leading zeros in its q bits + 1, and rank > r ⟺ rest < 2**(q - r):
        # one table look-up and compare per hash finds the few that beat their register
        beats = rest < self._limits[self.registers[index]]
        if not beats.any():
            return
        index, rest = index[beats].astype(np.intp), rest[beats]
        _, exponent = np.frexp(rest.astype(np.float64))
        rank = np.clip(q + 1 - exponent, 1, q + 1).astype(np.uint8)
        np.maximum.at(self.registers, index, rank)

    @property
    def _limits(self) -> npt.NDArray[np.uint64]:
        q = 64 - self.precision
        limits = np.array([1 << (q - r) if r <= q else 0 for r in range(q + 2)], dtype=np.uint64)
        return limits

    def merged(self, other: HyperLogLog) -> HyperLogLog:
        if other.precision != self.precision:
            raise InvalidInput("cannot merge distinct-count sketches of different precision")
        out = HyperLogLog(self.precision)
        out.registers = np.maximum(self.registers, other.registers)
        return out

    def estimate(self) -> float:
        m = 1 << self.precision
        q = 64 - self.precision
        counts = np.bincount(self.registers, minlength=q + 2).astype(np.float64)
        z = m * _tau(1.0 - counts[q + 1] / m)
        for k in range(q, 0, -1):
            z = 0.5 * (z + counts[k])
        z += m * _sigma(counts[0] / m)
        return m * m / (2.0 * math.log(2.0)) / z if z > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "hll",
            "p": self.precision,
            "registers": encode_array(self.registers, compress=True),
        }

    @classmethod
    def from_dict(cls, data: Any, *, what: str) -> HyperLogLog:
        if expect(data, "kind", str, what=what) != "hll":
            raise InvalidInput(f"malformed profile: {what} is not a HyperLogLog sketch")
        precision = expect(data, "p", int, what=what)
        if not 4 <= precision <= 18:
            raise InvalidInput(f"malformed profile: {what}.p is out of range")
        sketch = cls(precision)
        registers = decode_array(expect(data, "registers", dict, what=what), "u1", what=what)
        if registers.size != 1 << precision or int(registers.max(initial=0)) > 66 - precision:
            raise InvalidInput(f"malformed profile: {what} has bad registers")
        sketch.registers = registers
        return sketch
