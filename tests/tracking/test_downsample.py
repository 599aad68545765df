"""Downsampling keeps each bucket's first, last, min and max exactly, at the edges too."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from shipyard.tracking.downsample import Downsampler, bucket_width
from shipyard.tracking.entities import MetricPoint
from shipyard.tracking.history import MetricSummary
from shipyard.tracking.history_sweep import Columns

Point = tuple[int, int, float]


def _columns(points: list[Point]) -> Columns:
    n = len(points)
    return Columns(
        np.array([p[0] for p in points], dtype=np.int64),
        np.array([p[1] for p in points], dtype=np.int64),
        np.array([p[2] for p in points], dtype=np.float64),
        np.ones(n, dtype=np.int64),
        np.arange(n, dtype=np.int64),
    )


def _summary(
    points: list[Point], lo: int, hi: int, buckets: int, *, blocks: int = 1
) -> MetricSummary:
    sampler = Downsampler("loss", lo, hi, buckets)
    cuts = (
        sorted(random.Random(len(points)).sample(range(1, len(points)), blocks - 1))
        if blocks > 1
        else []
    )
    for start, stop in zip([0, *cuts], [*cuts, len(points)], strict=True):
        sampler.add(_columns(points[start:stop]))
    return sampler.summary()


def _brute(points: list[Point], lo: int, width: int) -> dict[int, dict[str, object]]:
    """Per bucket: count, first, last, min, max as the definition says (NaN ignored)."""
    found: dict[int, list[Point]] = {}
    for p in points:
        found.setdefault((p[0] - lo) // width, []).append(p)
    out = {}
    for b, members in found.items():
        numbers = [p for p in members if not math.isnan(p[2])]
        low = min(numbers, key=lambda p: p[2]) if numbers else members[0]  # min() keeps the first
        high = max(numbers, key=lambda p: p[2]) if numbers else members[0]
        out[b] = {"count": len(members), "first": members[0], "last": members[-1], "min": low,
                  "max": high}  # fmt: skip
    return out


def _as_tuple(point: MetricPoint) -> Point:
    return (point.step, point.timestamp_ms, point.value)


def _same(a: Point, b: Point) -> bool:
    return a[:2] == b[:2] and (a[2] == b[2] or (math.isnan(a[2]) and math.isnan(b[2])))


@pytest.mark.parametrize("seed", range(30))
def test_every_bucket_keeps_its_first_last_min_and_max(seed: int) -> None:
    rng = random.Random(seed)
    values = [0.0, 1.0, -1.0, 2.5, math.nan, math.inf, -math.inf]
    step, points = rng.randint(-50, 50), []
    for i in range(rng.randint(1, 400)):
        step += rng.choice([0, 1, 1, 3])
        points.append((step, i, rng.choice(values) if rng.random() < 0.3 else rng.uniform(-9, 9)))
    lo, hi = points[0][0] - rng.randint(0, 5), points[-1][0] + rng.randint(0, 5)
    buckets = rng.randint(1, 60)
    summary = _summary(points, lo, hi, buckets, blocks=rng.randint(1, min(8, len(points))))
    width = bucket_width(lo, hi, buckets)
    expected = _brute(points, lo, width)
    assert summary.count == len(points)
    assert summary.bucket_steps == width
    assert len(summary.buckets) <= buckets
    assert [b.start_step for b in summary.buckets] == [lo + k * width for k in sorted(expected)]
    for bucket in summary.buckets:
        want = expected[(bucket.start_step - lo) // width]
        assert bucket.count == want["count"]
        assert bucket.end_step == min(hi, bucket.start_step + width - 1)
        for name in ("first", "last", "min", "max"):
            assert _same(_as_tuple(getattr(bucket, name)), want[name]), (name, bucket)  # type: ignore[arg-type]


def test_bucket_edges_are_inclusive_and_exact() -> None:
    # 10 steps in 5 buckets of 2: 0-1, 2-3, 4-5, 6-7, 8-9
    points = [(s, s, float(s)) for s in range(10)]
    summary = _summary(points, 0, 9, 5)
    assert [(b.start_step, b.end_step, b.count) for b in summary.buckets] == [
        (0, 1, 2), (2, 3, 2), (4, 5, 2), (6, 7, 2), (8, 9, 2)
    ]  # fmt: skip
    # 10 steps in 3 buckets: width 4, the last bucket is cut at the range's end
    summary = _summary(points, 0, 9, 3)
    assert [(b.start_step, b.end_step, b.count) for b in summary.buckets] == [
        (0, 3, 4), (4, 7, 4), (8, 9, 2)
    ]  # fmt: skip


def test_empty_buckets_are_left_out_and_one_value_is_one_bucket() -> None:
    summary = _summary([(0, 0, 1.0), (99, 1, 2.0)], 0, 99, 10)
    assert [(b.start_step, b.count) for b in summary.buckets] == [(0, 1), (90, 1)]
    [only] = _summary([(7, 5, 3.0)], 7, 7, 500).buckets
    assert (only.start_step, only.end_step, only.count) == (7, 7, 1)
    assert only.first == only.last == only.min == only.max == MetricPoint("loss", 3.0, 7, 5)
    assert only.points() == [MetricPoint("loss", 3.0, 7, 5)]


def test_nan_is_ignored_by_min_and_max_unless_alone_and_infinities_count() -> None:
    nan = math.nan
    [bucket] = _summary([(0, 0, nan), (1, 1, 2.0), (2, 2, -math.inf), (3, 3, nan)], 0, 3, 1).buckets
    assert bucket.min.value == -math.inf
    assert bucket.max.value == 2.0
    assert math.isnan(bucket.first.value)
    assert math.isnan(bucket.last.value)
    [alone] = _summary([(0, 0, nan), (1, 1, nan)], 0, 1, 1).buckets
    assert math.isnan(alone.min.value)
    assert alone.min.step == 0
    assert math.isnan(alone.max.value)
    assert alone.max.step == 0


def test_equal_extremes_keep_the_earliest_even_across_batches() -> None:
    points = [(s, s, 5.0 if s in (1, 6) else 0.0) for s in range(8)]
    for blocks in (1, 2, 4, 8):
        [bucket] = _summary(points, 0, 7, 1, blocks=blocks).buckets
        assert bucket.max.step == 1
        assert bucket.min.step == 0


def test_the_whole_64_bit_step_range_fits() -> None:
    top = 2**63 - 1
    summary = _summary([(-top, 0, 1.0), (0, 1, 2.0), (top, 2, 3.0)], -top, top, 2)
    assert [(b.start_step, b.count) for b in summary.buckets] == [(-top, 2), (1, 1)]
    assert summary.buckets[-1].end_step == top


def test_chart_points_are_m4_in_history_order() -> None:
    points = [(0, 0, 1.0), (1, 1, 9.0), (2, 2, -3.0), (3, 3, 2.0)]
    [bucket] = _summary(points, 0, 3, 1).buckets
    assert [p.step for p in bucket.points()] == [0, 1, 2, 3]  # first, max, min, last
    down = [(0, 0, 1.0), (1, 1, -3.0), (2, 2, 9.0)]
    assert [p.value for p in _summary(down, 0, 2, 1).points()] == [1.0, -3.0, 9.0]
