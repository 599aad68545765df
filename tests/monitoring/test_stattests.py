"""Drift statistics equal scipy's reference values on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from shipyard.monitoring import stattests
from shipyard.profiling.sketches.quantiles import QuantileSketch


def _sketch(values: np.ndarray, exact_limit: int = 2048) -> QuantileSketch:
    sketch = QuantileSketch(exact_limit=exact_limit)
    for part in np.array_split(values, 3):
        sketch.update(part)
    return sketch


@pytest.fixture
def samples() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    return rng.normal(0, 1, 800), rng.normal(0.2, 1.1, 600)


def test_ks_equals_scipy_on_small_samples(samples: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = samples
    ours = stattests.ks(_sketch(ref), _sketch(cur))
    theirs = stats.ks_2samp(ref, cur)
    assert ours.statistic == theirs.statistic
    assert ours.p_value == theirs.pvalue


def test_ks_on_sketches_is_smirnovs_asymptotic_test() -> None:
    rng = np.random.default_rng(12)
    ref, cur = rng.normal(0, 1, 12_000), rng.normal(0.03, 1, 15_000)
    # exact sketches pushed through the sketch path: same statistic, scipy's asymp p-value
    ref_sketch, cur_sketch = _sketch(ref, 20_000), _sketch(cur, 20_000)
    ref_sketch.levels.append(np.empty(0))  # marks them "compacted" without changing weights
    ours = stattests.ks(ref_sketch, cur_sketch)
    theirs = stats.ks_2samp(ref, cur, method="asymp")
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)


def test_wasserstein_equals_scipy_normed_by_the_reference_std(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    ref, cur = samples
    ours = stattests.wasserstein_normed(_sketch(ref), _sketch(cur), float(np.std(ref)))
    assert ours.statistic == pytest.approx(
        stats.wasserstein_distance(ref, cur) / np.std(ref), rel=1e-12
    )
    assert ours.p_value is None


def test_wasserstein_from_large_sketches_stays_close_to_the_exact_value() -> None:
    rng = np.random.default_rng(13)
    ref, cur = rng.normal(0, 1, 400_000), rng.normal(0.1, 1, 300_000)
    ours = stattests.wasserstein_normed(_sketch(ref), _sketch(cur), float(np.std(ref)))
    exact = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert ours.statistic == pytest.approx(exact, abs=0.015)


def test_psi_equals_a_plain_numpy_computation(samples: tuple[np.ndarray, np.ndarray]) -> None:
    ref, cur = samples
    edges = stattests.quantile_bins(_sketch(ref), 10)
    np.testing.assert_array_equal(
        edges, np.unique(np.quantile(ref, np.linspace(0, 1, 11)[1:-1], method="inverted_cdf"))
    )
    bins = np.concatenate(([-np.inf], edges, [np.inf]))

    def shares(x: np.ndarray) -> np.ndarray:
        counts = np.diff(np.searchsorted(np.sort(x), bins, side="right"))
        return np.maximum(counts / x.size, stattests.PSI_FLOOR)

    p, q = shares(ref), shares(cur)
    expected = float(np.sum((q - p) * np.log(q / p)))
    assert stattests.psi_numeric(_sketch(ref), _sketch(cur), 10).statistic == pytest.approx(
        expected, rel=1e-12
    )


def test_numeric_jensen_shannon_equals_scipy_on_the_same_bins(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    ref, cur = samples
    edges = np.concatenate(([-np.inf], stattests.quantile_bins(_sketch(ref), 10), [np.inf]))
    p = np.histogram(ref, edges)[0] / ref.size
    q = np.histogram(cur, edges)[0] / cur.size
    ours = stattests.jensen_shannon_numeric(_sketch(ref), _sketch(cur), 10).statistic
    # np.histogram's bins are [a, b) where ours are (a, b]: continuous data has no ties at edges
    assert ours == pytest.approx(distance.jensenshannon(p, q, base=2), abs=0.01)


def test_chi_square_equals_scipy() -> None:
    ref, cur = np.array([500.0, 300.0, 200.0]), np.array([40.0, 35.0, 25.0])
    ours = stattests.chi_square(ref, cur)
    theirs = stats.chisquare(cur, ref / ref.sum() * cur.sum())
    assert ours.statistic == theirs.statistic
    assert ours.p_value == theirs.pvalue


def test_chi_square_smooths_categories_the_reference_never_had() -> None:
    ref, cur = np.array([500.0, 500.0, 0.0]), np.array([45.0, 45.0, 10.0])
    ours = stattests.chi_square(ref, cur)
    smoothed = ref + 0.5
    theirs = stats.chisquare(cur, smoothed / smoothed.sum() * cur.sum())
    assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-12)
    assert ours.p_value is not None
    assert ours.p_value < 1e-6


def test_chi_square_of_a_single_category_is_no_evidence() -> None:
    assert stattests.chi_square(np.array([10.0]), np.array([3.0])) == stattests.Outcome(0.0, 1.0)


def test_categorical_distances_equal_scipy() -> None:
    ref, cur = np.array([50.0, 30.0, 20.0, 0.0]), np.array([20.0, 30.0, 40.0, 10.0])
    p, q = ref / ref.sum(), cur / cur.sum()
    assert stattests.jensen_shannon_counts(ref, cur).statistic == pytest.approx(
        distance.jensenshannon(p, q, base=2), rel=1e-12
    )
    floor = stattests.PSI_FLOOR
    expected = np.sum(
        (np.maximum(q, floor) - np.maximum(p, floor))
        * np.log(np.maximum(q, floor) / np.maximum(p, floor))
    )
    assert stattests.psi_counts(ref, cur).statistic == pytest.approx(expected, rel=1e-12)


def test_the_numpy_distances_are_scipys_on_weighted_samples() -> None:
    rng = np.random.default_rng(14)
    u, v = rng.normal(size=500), rng.normal(0.3, 2, size=300)
    uw, vw = rng.random(500), rng.random(300)
    assert stattests._wasserstein(u, v, uw, vw) == pytest.approx(
        stats.wasserstein_distance(u, v, uw, vw), rel=1e-12
    )
    p, q = rng.random(9), rng.random(9)
    p[3] = 0.0
    assert stattests._jensen_shannon(p, q) == pytest.approx(
        distance.jensenshannon(p, q, base=2), rel=1e-12
    )
