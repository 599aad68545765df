"""Packing metric histories into chunks: arrays of steps, timestamps and values.

Format 1: three little-endian arrays of equal length (int64 steps, int64
timestamps in ms, float64 values). NaN and infinities survive as they are.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shipyard.core.errors import IntegrityError

__all__ = ["FORMAT", "Chunk", "check_stored", "pack", "unpack"]

FORMAT = 1
_BIG_ENDIAN = sys.byteorder == "big"


@dataclass(frozen=True)
class Chunk:
    count: int
    min_step: int
    max_step: int
    steps: bytes
    timestamps: bytes
    values: bytes


def _bytes(items: array) -> bytes:  # type: ignore[type-arg]
    if _BIG_ENDIAN:  # pragma: no cover - every platform we ship on is little-endian
        items = array(items.typecode, items)
        items.byteswap()
    return items.tobytes()


def pack(steps: Sequence[int], timestamps: Sequence[int], values: Sequence[float]) -> Chunk:
    """One chunk of parallel sequences (they must have the same length)."""
    step_array = array("q", steps)
    return Chunk(
        count=len(step_array),
        min_step=min(step_array),
        max_step=max(step_array),
        steps=_bytes(step_array),
        timestamps=_bytes(array("q", timestamps)),
        values=_bytes(array("d", values)),
    )


def _array(code: str, data: bytes) -> array:  # type: ignore[type-arg]
    items = array(code)
    items.frombytes(data)
    if _BIG_ENDIAN:  # pragma: no cover
        items.byteswap()
    return items


def unpack(
    fmt: int, count: int, steps: bytes, timestamps: bytes, values: bytes
) -> Iterable[tuple[int, int, float]]:
    """The (step, timestamp, value) triples of a stored chunk.

    Raises :class:`IntegrityError` if the arrays do not have ``count`` items.
    """
    check_stored(fmt, count, steps, timestamps, values)
    try:
        s, t, v = _array("q", steps), _array("q", timestamps), _array("d", values)
    except ValueError as exc:
        raise IntegrityError(f"a stored metric chunk is corrupt: {exc}") from None
    if not len(s) == len(t) == len(v) == count:
        raise IntegrityError("a stored metric chunk is corrupt: array lengths disagree")
    return zip(s, t, v, strict=True)


def check_stored(fmt: int, count: int, steps: bytes, timestamps: bytes, values: bytes) -> None:
    """Raise :class:`IntegrityError` unless a stored chunk is format 1 with ``count`` items
    in each array (readers that decode many chunks at once check each first)."""
    if fmt != FORMAT:
        raise IntegrityError(
            f"metric chunk format {fmt} is unknown to this Shipyard",
            hint="upgrade Shipyard (pip install -U shipyard)",
        )
    if not len(steps) == len(timestamps) == len(values) == 8 * count:
        raise IntegrityError("a stored metric chunk is corrupt: array lengths disagree")
