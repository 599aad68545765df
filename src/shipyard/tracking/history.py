"""A metric's history read in bounded memory: pages of columns, downsampled summaries.

Pure value objects (numpy, no database). A history is ordered by step, then
timestamp, then logging order; :class:`HistoryPage` holds consecutive values
of that order as three arrays, so a million values cost 24 MB, not a million
Python objects. :class:`MetricSummary` is a history cut into equal step ranges
(buckets), each keeping its first, last, lowest and highest value: what a
chart needs to draw a line without losing a spike (min/max are kept; see
docs/tracking.md).

A page's ``next_cursor`` names its last value (step, timestamp, and where it
was stored); reading again ``after`` it continues with the next value, so
pages never overlap or skip, whatever their size.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shipyard.core.errors import InvalidInput
from shipyard.tracking.entities import MetricPoint

__all__ = [
    "DEFAULT_BUCKETS",
    "MAX_BUCKETS",
    "PAGE_SIZE",
    "Cursor",
    "HistoryPage",
    "MetricBucket",
    "MetricSummary",
    "check_request",
    "decode_cursor",
    "encode_cursor",
]

PAGE_SIZE = 100_000
"""Values per page (and the most one page may hold): 2.4 MB of columns."""
MAX_BUCKETS = 10_000
DEFAULT_BUCKETS = 500
"""About one per pixel column of a chart."""

Cursor = tuple[int, int, int, int]
"""(step, timestamp_ms, chunk seq, index in the chunk): one value's place in the order."""

_CURSOR = struct.Struct("<qqqq")


def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(_CURSOR.pack(*cursor)).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """The place a cursor names; :class:`InvalidInput` for anything not made by us."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        step, stamp, seq, index = _CURSOR.unpack(raw)
    except (binascii.Error, struct.error, ValueError):
        raise InvalidInput(
            f"history cursor {text[:40]!r} is not valid",
            hint="pass the next_cursor of a previous page as it came",
        ) from None
    return step, stamp, seq, index


def check_request(
    *,
    start_step: int | None = None,
    end_step: int | None = None,
    page_size: int | None = None,
    buckets: int | None = None,
) -> None:
    """Raise :class:`InvalidInput` for a range, page size or bucket count out of bounds."""
    if start_step is not None and end_step is not None and start_step > end_step:
        raise InvalidInput(f"start step {start_step:,} is after end step {end_step:,}")
    if page_size is not None and not 1 <= page_size <= PAGE_SIZE:
        raise InvalidInput(f"page size must be between 1 and {PAGE_SIZE:,}, not {page_size:,}")
    if buckets is not None and not 1 <= buckets <= MAX_BUCKETS:
        raise InvalidInput(f"buckets must be between 1 and {MAX_BUCKETS:,}, not {buckets:,}")


def _empty_ints() -> NDArray[np.int64]:
    return np.empty(0, dtype=np.int64)


def _empty_floats() -> NDArray[np.float64]:
    return np.empty(0, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class HistoryPage:
    """Consecutive values of one metric, in history order, as columns."""

    key: str
    steps: NDArray[np.int64] = field(default_factory=_empty_ints)
    timestamps: NDArray[np.int64] = field(default_factory=_empty_ints)
    """Milliseconds since the epoch."""
    values: NDArray[np.float64] = field(default_factory=_empty_floats)
    """NaN and infinities as they were logged."""
    next_cursor: str | None = None
    """Where the next page starts (pass it as ``after``); None on the last page."""

    def __len__(self) -> int:
        return len(self.steps)

    def points(self) -> list[MetricPoint]:
        """The values as :class:`MetricPoint` objects (about 100 bytes each)."""
        key = self.key
        return [
            MetricPoint(key, value, step, stamp)
            for step, stamp, value in zip(
                self.steps.tolist(), self.timestamps.tolist(), self.values.tolist(), strict=True
            )
        ]

    def to_dict(self) -> dict[str, Any]:
        """Columns as JSON-ready lists; NaN and infinities as ``"nan"``, ``"inf"``, ``"-inf"``."""
        values: list[float | str] = self.values.tolist()
        if not bool(np.isfinite(self.values).all()):
            values = [_number(v) for v in self.values.tolist()]
        return {
            "key": self.key,
            "steps": self.steps.tolist(),
            "timestamps": self.timestamps.tolist(),
            "values": values,
            "next_cursor": self.next_cursor,
        }


def _number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def _point(point: MetricPoint) -> dict[str, Any]:
    return {"step": point.step, "timestamp_ms": point.timestamp_ms, "value": _number(point.value)}


@dataclass(frozen=True)
class MetricBucket:
    """The values of one step range: how many, and the four that shape a line through them.

    ``min`` and ``max`` ignore NaN (a bucket holding only NaN has NaN there, at
    its first value); infinities count. Equal values: the earliest is kept.
    """

    start_step: int
    end_step: int
    """The range the bucket covers, both ends included (values may sit anywhere in it)."""
    count: int
    first: MetricPoint
    last: MetricPoint
    min: MetricPoint
    max: MetricPoint

    def points(self) -> list[MetricPoint]:
        """first, min, max, last in history order, each once: what a line chart draws (M4)."""
        chosen = [self.first, self.min, self.max, self.last]
        chosen.sort(key=lambda p: (p.step, p.timestamp_ms))  # stable: keeps that order on ties
        seen: set[tuple[int, int, str]] = set()
        unique = []
        for point in chosen:
            mark = (point.step, point.timestamp_ms, repr(point.value))
            if mark not in seen:
                seen.add(mark)
                unique.append(point)
        return unique

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_step": self.start_step,
            "end_step": self.end_step,
            "count": self.count,
            "first": _point(self.first),
            "last": _point(self.last),
            "min": _point(self.min),
            "max": _point(self.max),
        }


@dataclass(frozen=True)
class MetricSummary:
    """A history (or a step range of it) downsampled into buckets of equal step width."""

    key: str
    start_step: int | None
    end_step: int | None
    """The range the buckets cover, both ends included; None when there is nothing in it."""
    bucket_steps: int
    """Steps each bucket covers (0 when the summary is empty)."""
    count: int
    """Values in the range."""
    buckets: tuple[MetricBucket, ...] = ()
    """The buckets that hold values, by step (empty ones are left out)."""

    def points(self) -> list[MetricPoint]:
        """At most four values per bucket, in order: a line through them has every spike."""
        return [p for bucket in self.buckets for p in bucket.points()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "start_step": self.start_step,
            "end_step": self.end_step,
            "bucket_steps": self.bucket_steps,
            "count": self.count,
            "buckets": [b.to_dict() for b in self.buckets],
        }
