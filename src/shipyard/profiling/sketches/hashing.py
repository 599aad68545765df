"""Stable 64-bit hashes of values, the same in every process (for HyperLogLog).

Python's ``hash`` is salted per process, so sketches built in two processes
could not be merged with it. Numbers go through SplitMix64 (Steele et al.,
2014) on their float64 bits; strings through CRC-32 of their UTF-8 bytes plus
their length, finalised by SplitMix64.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["hash_floats", "hash_strings", "splitmix64", "uniform_keys"]

_U64 = np.uint64


def splitmix64(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The SplitMix64 finaliser, element-wise (wraps modulo 2**64)."""
    z = z + _U64(0x9E3779B97F4A7C15)  # a new array; the rest works in place
    z ^= z >> _U64(30)
    z *= _U64(0xBF58476D1CE4E5B9)
    z ^= z >> _U64(27)
    z *= _U64(0x94D049BB133111EB)
    z ^= z >> _U64(31)
    return z


def hash_floats(values: npt.NDArray[np.float64]) -> npt.NDArray[np.uint64]:
    """Hashes of float64 values; ``-0.0`` and ``0.0`` hash alike."""
    canonical = values + 0.0  # turns -0.0 into 0.0
    return splitmix64(canonical.view(_U64))


def hash_strings(values: Iterable[Any]) -> npt.NDArray[np.uint64]:
    """Hashes of strings (anything else is hashed by its ``str``)."""
    packed = [
        zlib.crc32(b) | (len(b) << 32)
        for b in (
            (v if isinstance(v, str) else str(v)).encode("utf-8", "surrogatepass") for v in values
        )
    ]
    return splitmix64(np.asarray(packed, dtype=_U64))


def uniform_keys(start: int, count: int, salt: int) -> npt.NDArray[np.float64]:
    """Deterministic uniform numbers in [0, 1) for rows ``start … start+count-1``."""
    index = np.arange(start, start + count, dtype=_U64) ^ _U64(salt & 0xFFFFFFFFFFFFFFFF)
    bits = splitmix64(index) >> _U64(11)
    return bits.astype(np.float64) * (1.0 / (1 << 53))
