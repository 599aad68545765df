"""Downsampling a history into buckets of equal step width, keeping min and max.

Why min/max (M4: first, last, min, max per bucket) rather than LTTB or plain
averaging: a line drawn through those four values of each pixel column looks
the same as one drawn through every value, so a loss spike or a NaN-free
minimum is never smoothed away; chart libraries (uPlot, ECharts' ``minmax``
sampling, Plotly's resamplers) expect exactly that. LTTB picks one value per
bucket by the area it makes with its neighbours: prettier at a glance, but it
may drop the extreme a reader looks for, and it cannot be computed one batch
at a time as this is. Averages invent values that were never logged.

:class:`Downsampler` takes the values of a :class:`~.history_sweep.Sweep` in
order, batch by batch (vectorised), and holds one open bucket between batches,
so memory is the buckets, whatever the history's length.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from shipyard.tracking.entities import MetricPoint
from shipyard.tracking.history import MetricBucket, MetricSummary
from shipyard.tracking.history_sweep import Columns

__all__ = ["Downsampler", "bucket_width"]


def bucket_width(lo: int, hi: int, buckets: int) -> int:
    """Steps per bucket so that ``buckets`` buckets cover ``lo``…``hi`` (at least 1)."""
    span = hi - lo + 1
    return max(1, -(-span // buckets))


def _first_equal(
    values: NDArray[np.float64], targets: NDArray[np.float64], starts: NDArray[np.intp],
    ends: NDArray[np.intp],
) -> NDArray[np.intp]:  # fmt: skip
    """Per group, the first index whose value equals the group's target (else its start:
    a group of NaN only)."""
    hits = np.flatnonzero(values == np.repeat(targets, ends - starts))
    if not len(hits):
        return starts
    pos = np.searchsorted(hits, starts)
    found = hits[np.minimum(pos, len(hits) - 1)]
    return np.where((pos < len(hits)) & (found < ends), found, starts)


class _Open:
    """The bucket being filled: what is known of it so far."""

    __slots__ = ("bucket", "count", "first", "last", "max", "min")

    def __init__(
        self, bucket: int, count: int, first: MetricPoint, last: MetricPoint,
        low: MetricPoint, high: MetricPoint,
    ) -> None:  # fmt: skip
        self.bucket, self.count, self.first, self.last = bucket, count, first, last
        self.min, self.max = low, high

    def merge(self, count: int, last: MetricPoint, low: MetricPoint, high: MetricPoint) -> None:
        """More values of the same bucket, all after the ones seen (ties keep the earlier)."""
        self.count += count
        self.last = last
        if _better(low.value, self.min.value, lower=True):
            self.min = low
        if _better(high.value, self.max.value, lower=False):
            self.max = high


def _better(new: float, old: float, *, lower: bool) -> bool:
    if math.isnan(new):
        return False
    if math.isnan(old):
        return True
    return new < old if lower else new > old


class Downsampler:
    """Buckets of ``width`` steps from ``lo`` to ``hi``, filled from values in order."""

    def __init__(self, key: str, lo: int, hi: int, buckets: int) -> None:
        self.key, self.lo, self.hi = key, lo, hi
        self.width = bucket_width(lo, hi, buckets)
        self.count = 0
        self._open: _Open | None = None
        self._done: list[MetricBucket] = []

    def add(self, cols: Columns) -> None:
        """Values in ascending order, all within ``lo``…``hi``."""
        n = len(cols)
        if not n:
            return
        self.count += n
        steps, stamps, values = cols.steps, cols.stamps, cols.values
        # step - lo never overflows as unsigned 64-bit (steps fit in ±(2**63 - 1)).
        offset = np.ascontiguousarray(steps).view(np.uint64) - np.uint64(self.lo % 2**64)
        ids = (offset // np.uint64(self.width)).astype(np.int64)
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        ends = np.append(starts[1:], n)
        lows = np.fmin.reduceat(values, starts)  # fmin/fmax: NaN only where all are NaN
        highs = np.fmax.reduceat(values, starts)
        low_at = _first_equal(values, lows, starts, ends)
        high_at = _first_equal(values, highs, starts, ends)
        key = self.key

        def point(i: int) -> MetricPoint:  # four per bucket at most: no list of every value
            return MetricPoint(key, values[i].item(), steps[i].item(), stamps[i].item())

        for bucket, start, end, lo_i, hi_i in zip(
            ids[starts].tolist(), starts.tolist(), ends.tolist(), low_at.tolist(),
            high_at.tolist(), strict=True,
        ):  # fmt: skip
            opened = self._open
            if opened is not None and opened.bucket == bucket:
                opened.merge(end - start, point(end - 1), point(lo_i), point(hi_i))
                continue
            self._close()
            self._open = _Open(
                bucket, end - start, point(start), point(end - 1), point(lo_i), point(hi_i)
            )

    def _close(self) -> None:
        opened = self._open
        if opened is None:
            return
        start = self.lo + opened.bucket * self.width
        self._done.append(
            MetricBucket(
                start_step=start,
                end_step=min(self.hi, start + self.width - 1),
                count=opened.count,
                first=opened.first,
                last=opened.last,
                min=opened.min,
                max=opened.max,
            )
        )
        self._open = None

    def summary(self) -> MetricSummary:
        self._close()
        return MetricSummary(
            key=self.key,
            start_step=self.lo,
            end_step=self.hi,
            bucket_steps=self.width,
            count=self.count,
            buckets=tuple(self._done),
        )
