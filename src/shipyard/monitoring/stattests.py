"""The drift statistics, computed from sketches and counts with scipy and numpy.

Numeric tests take two :class:`QuantileSketch` es. While both sketches are
exact (≤ 2,048 values each) they hold the raw values, and every statistic is
*exactly* scipy's on those values (``ks_2samp``, ``wasserstein_distance``,
``chisquare``, ``jensenshannon``; the tests check it);
beyond that the sketches stand for the data with weights and the statistics
carry the sketch's rank error (about 0.3 %; see docs/monitoring.md).

Categorical tests take aligned count vectors (see ``categories.py``).

The Wasserstein and Jensen–Shannon distances are computed in numpy exactly as
scipy does, and scipy is imported only by the p-value tests: importing
``scipy.stats`` costs more than comparing twenty profiled features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shipyard.profiling.sketches.quantiles import QuantileSketch

__all__ = [
    "PSI_FLOOR",
    "Outcome",
    "chi_square",
    "jensen_shannon_counts",
    "jensen_shannon_numeric",
    "ks",
    "psi_counts",
    "psi_numeric",
    "quantile_bins",
    "wasserstein_normed",
]

Floats = npt.NDArray[np.float64]

#: Share given to an empty bin in PSI, so that log(0) never happens (as Evidently does).
PSI_FLOOR = 1e-4
#: Floor of the reference std that normalises the Wasserstein distance.
STD_FLOOR = 1e-3


@dataclass(frozen=True)
class Outcome:
    statistic: float
    p_value: float | None = None


def ks(reference: QuantileSketch, current: QuantileSketch) -> Outcome:
    """Two-sided two-sample Kolmogorov–Smirnov test.

    Exact sketches: ``scipy.stats.ks_2samp`` on the raw values (exact p-value
    for small samples, as scipy chooses). Otherwise the statistic is the
    largest gap between the two sketched CDFs and the p-value is Smirnov's
    asymptotic one, computed as scipy's ``method="asymp"`` does.
    """
    from scipy import stats

    if reference.exact and current.exact:
        result = stats.ks_2samp(reference.values(), current.values())
        return Outcome(float(result.statistic), float(result.pvalue))
    ref_values, _ = reference.weighted()
    cur_values, _ = current.weighted()
    points = np.union1d(ref_values, cur_values)
    d = float(np.max(np.abs(reference.cdf(points) - current.cdf(points))))
    m, n = sorted((float(reference.n), float(current.n)), reverse=True)
    p = float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0.0, 1.0))
    return Outcome(d, p)


def _wasserstein(u_values: Floats, v_values: Floats, u_weights: Floats, v_weights: Floats) -> float:
    """First Wasserstein distance of two weighted samples: ∫|U(x) − V(x)| dx.

    The same computation as ``scipy.stats.wasserstein_distance`` (which the
    tests compare against) without importing ``scipy.stats``.
    """
    u_order, v_order = np.argsort(u_values), np.argsort(v_values)
    everything = np.sort(np.concatenate((u_values, v_values)))
    deltas = np.diff(everything)
    u_cum = np.concatenate(([0.0], np.cumsum(u_weights[u_order])))
    v_cum = np.concatenate(([0.0], np.cumsum(v_weights[v_order])))
    u_cdf = u_cum[np.searchsorted(u_values[u_order], everything[:-1], side="right")] / u_cum[-1]
    v_cdf = v_cum[np.searchsorted(v_values[v_order], everything[:-1], side="right")] / v_cum[-1]
    return float(np.sum(np.abs(u_cdf - v_cdf) * deltas))


def wasserstein_normed(
    reference: QuantileSketch, current: QuantileSketch, reference_std: float
) -> Outcome:
    """First Wasserstein (earth mover's) distance, divided by the reference's std.

    Computed on the weighted sketch items (scipy's ``wasserstein_distance``
    on the raw values while the sketches are exact); the normalisation by
    ``max(std, 0.001)`` (population std) makes one threshold fit every
    feature's unit, as in Evidently.
    """
    ref_values, ref_weights = reference.weighted()
    cur_values, cur_weights = current.weighted()
    raw = _wasserstein(ref_values, cur_values, ref_weights, cur_weights)
    return Outcome(raw / max(reference_std, STD_FLOOR))


def quantile_bins(reference: QuantileSketch, bins: int) -> Floats:
    """Inner bin edges at the reference's quantiles 1/bins … (bins-1)/bins (ties merged)."""
    inner = reference.quantiles(np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(inner)


def _binned(sketch: QuantileSketch, inner_edges: Floats) -> Floats:
    """Share of the values in (-inf, e1], (e1, e2], …, (ek, inf)."""
    cdf = np.concatenate(([0.0], sketch.cdf(inner_edges), [1.0]))
    return np.diff(cdf)


def _jensen_shannon(p: Floats, q: Floats) -> float:
    """Jensen–Shannon distance in base 2, as ``scipy.spatial.distance.jensenshannon``."""
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2.0

    def relative_entropy(x: Floats) -> float:
        positive = x > 0
        return float(np.sum(x[positive] * np.log(x[positive] / m[positive])))

    divergence = (relative_entropy(p) + relative_entropy(q)) / 2.0 / math.log(2.0)
    return math.sqrt(max(divergence, 0.0))


def _psi(ref_share: Floats, cur_share: Floats) -> float:
    ref = np.maximum(ref_share, PSI_FLOOR)
    cur = np.maximum(cur_share, PSI_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def psi_numeric(reference: QuantileSketch, current: QuantileSketch, bins: int) -> Outcome:
    """Population stability index over ``bins`` equal-mass bins of the reference."""
    edges = quantile_bins(reference, bins)
    return Outcome(_psi(_binned(reference, edges), _binned(current, edges)))


def jensen_shannon_numeric(
    reference: QuantileSketch, current: QuantileSketch, bins: int
) -> Outcome:
    """Jensen–Shannon distance (base 2) over equal-mass bins of the reference."""
    edges = quantile_bins(reference, bins)
    return Outcome(_jensen_shannon(_binned(reference, edges), _binned(current, edges)))


def chi_square(reference: Floats, current: Floats) -> Outcome:
    """Pearson's chi-square goodness of fit of the current counts to the reference's shares.

    Expected counts are the reference's shares times the current total
    (``scipy.stats.chisquare(current, expected)``). When a category of the
    current data never occurs in the reference its expected count would be
    zero and the statistic infinite; then every reference count gets a
    pseudo-count of 0.5 (Jeffreys' prior) before the shares are taken.
    """
    keep = (reference > 0) | (current > 0)
    reference, current = reference[keep], current[keep]
    if reference.size < 2 or current.sum() == 0:
        return Outcome(0.0, 1.0)
    if np.any(reference == 0):
        reference = reference + 0.5
    from scipy import stats

    expected = reference / reference.sum() * current.sum()
    result = stats.chisquare(current, expected)
    return Outcome(float(result.statistic), float(result.pvalue))


def jensen_shannon_counts(reference: Floats, current: Floats) -> Outcome:
    """Jensen–Shannon distance (base 2, so in [0, 1]) between two category shares."""
    if reference.sum() == 0 or current.sum() == 0:
        return Outcome(math.nan)
    return Outcome(_jensen_shannon(reference, current))


def psi_counts(reference: Floats, current: Floats) -> Outcome:
    """Population stability index between two category shares."""
    return Outcome(_psi(reference / reference.sum(), current / current.sum()))
