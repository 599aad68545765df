"""The mergeable sketches: exact where promised, accurate where approximate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipyard.core.errors import InvalidInput
from shipyard.profiling.sketches.distinct import HyperLogLog
from shipyard.profiling.sketches.frequent import FrequentItems
from shipyard.profiling.sketches.hashing import hash_floats, hash_strings
from shipyard.profiling.sketches.moments import Moments
from shipyard.profiling.sketches.quantiles import EXACT_LIMIT, QuantileSketch


def _rank_errors(sketch: QuantileSketch, data: np.ndarray) -> np.ndarray:
    ordered = np.sort(data)
    points = np.quantile(ordered, np.linspace(0.001, 0.999, 999))
    truth = np.searchsorted(ordered, points, side="right") / ordered.size
    return np.abs(sketch.cdf(points) - truth)


def test_a_small_stream_is_kept_exactly() -> None:
    data = np.random.default_rng(1).normal(size=EXACT_LIMIT)
    sketch = QuantileSketch()
    for part in np.array_split(data, 7):
        sketch.update(part)
    assert sketch.exact
    np.testing.assert_array_equal(sketch.values(), np.sort(data))
    qs = np.array([0.01, 0.25, 0.5, 0.9, 0.999])
    np.testing.assert_array_equal(
        sketch.quantiles(qs), np.quantile(data, qs, method="inverted_cdf")
    )


def test_a_large_stream_has_small_rank_error_and_bounded_size() -> None:
    data = np.random.default_rng(2).lognormal(size=300_000)
    sketch = QuantileSketch()
    for part in np.array_split(data, 11):
        sketch.update(part)
    errors = _rank_errors(sketch, data)
    assert not sketch.exact
    assert sketch.n == data.size
    assert sketch.size < 1200
    assert errors.mean() < 0.004
    assert errors.max() < 0.015


def test_merged_sketches_describe_the_concatenated_stream() -> None:
    rng = np.random.default_rng(3)
    left, right = rng.normal(0, 1, 120_000), rng.normal(3, 1, 80_000)
    a, b = QuantileSketch(), QuantileSketch()
    a.update(left)
    b.update(right)
    merged = a.merged(b)
    assert merged.n == 200_000
    assert _rank_errors(merged, np.concatenate([left, right])).max() < 0.015
    assert a.n == 120_000  # the inputs are unchanged


def test_a_sketch_round_trips_bit_for_bit() -> None:
    sketch = QuantileSketch()
    sketch.update(np.random.default_rng(4).normal(size=50_000))
    again = QuantileSketch.from_dict(sketch.to_dict(), what="q")
    for mine, theirs in zip(sketch.levels, again.levels, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    # and it keeps working: the random state travelled too
    sketch.update(np.arange(10.0))
    again.update(np.arange(10.0))
    np.testing.assert_array_equal(sketch.weighted()[0], again.weighted()[0])


def test_a_tampered_sketch_is_refused() -> None:
    sketch = QuantileSketch()
    sketch.update(np.arange(5000.0))
    data = sketch.to_dict()
    data["n"] += 1
    with pytest.raises(InvalidInput, match="q is inconsistent"):
        QuantileSketch.from_dict(data, what="q")
    with pytest.raises(InvalidInput, match="q has no 'levels'"):
        QuantileSketch.from_dict(
            {k: v for k, v in sketch.to_dict().items() if k != "levels"}, what="q"
        )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=200),
    st.integers(0, 200),
    st.floats(-1e9, 1e9),
)
def test_moments_merge_like_one_pass(values: list[float], cut: int, offset: float) -> None:
    data = np.array(values) + offset
    left, right = Moments(), Moments()
    left.update(data[:cut])
    right.update(data[cut:])
    merged = left.merged(right)
    assert merged.count == data.size
    assert merged.mean == pytest.approx(np.mean(data), rel=1e-9, abs=1e-6)
    assert merged.min == data.min()
    assert merged.max == data.max()
    if data.size > 1:
        assert merged.variance == pytest.approx(np.var(data, ddof=1), rel=1e-6, abs=1e-3)


def test_moments_stay_precise_far_from_zero() -> None:
    data = 1e9 + np.random.default_rng(5).normal(size=100_000)
    moments = Moments()
    for part in np.array_split(data, 10):
        moments.update(part)
    assert moments.std == pytest.approx(np.std(data, ddof=1), rel=1e-9)


@pytest.mark.parametrize("n", [1, 7, 100, 3000, 50_000])
def test_distinct_counts_are_close(n: int) -> None:
    sketch = HyperLogLog()
    values = np.arange(n, dtype=np.float64) * 1.5
    sketch.update(hash_floats(values))
    sketch.update(hash_floats(values[: n // 2]))  # repeats do not count
    assert sketch.estimate() == pytest.approx(n, rel=0.05)


def test_distinct_sketches_merge_as_a_union_and_round_trip() -> None:
    a, b = HyperLogLog(), HyperLogLog()
    a.update(hash_strings(f"id-{i}" for i in range(20_000)))
    b.update(hash_strings(f"id-{i}" for i in range(10_000, 30_000)))
    merged = a.merged(b)
    assert merged.estimate() == pytest.approx(30_000, rel=0.05)
    again = HyperLogLog.from_dict(merged.to_dict(), what="d")
    assert again.estimate() == merged.estimate()


def test_hashes_are_stable_across_processes() -> None:
    # fixed values: a change would make stored sketches unmergeable with new ones
    assert int(hash_strings(["churn"])[0]) == 0x33C53ED3C6B823E1
    assert hash_floats(np.array([-0.0]))[0] == hash_floats(np.array([0.0]))[0]
    assert int(hash_floats(np.array([1.0]))[0]) == 0x88D7C35BBBF3EDED


def test_frequent_items_are_exact_while_few() -> None:
    items = FrequentItems(capacity=10)
    items.update(["a", "b", "c"], np.array([5, 3, 1]))
    items.update(["a", "d"], np.array([1, 2]))
    assert items.exact
    assert items.top() == [("a", 6), ("b", 3), ("d", 2), ("c", 1)]
    assert items.other == 0


def test_frequent_items_keep_heavy_hitters_with_bounded_error() -> None:
    rng = np.random.default_rng(6)
    stream = np.concatenate([np.full(3000, 0), np.full(2000, 1), rng.integers(2, 50_000, 20_000)])
    rng.shuffle(stream)
    items = FrequentItems(capacity=64)
    for part in np.array_split(stream, 13):
        values, counts = np.unique(part, return_counts=True)
        items.update([str(v) for v in values], counts)
    assert not items.exact
    assert items.error <= stream.size / 65
    top = dict(items.top(2))
    assert set(top) == {"0", "1"}
    assert 3000 - items.error <= top["0"] <= 3000
    assert items.total == stream.size
    again = FrequentItems.from_dict(items.to_dict(), what="f")
    assert again.top() == items.top()
    assert again.error == items.error
