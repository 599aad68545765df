"""What a drift comparison may be told: tests, thresholds, shares, sample sizes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.core.errors import InvalidInput

__all__ = [
    "DEFAULT_MIN_SAMPLE",
    "DEFAULT_THRESHOLDS",
    "MIN_SAMPLE_HELP",
    "P_VALUE_TESTS",
    "TESTS",
    "DriftOptions",
]

#: Every drift test, with what its threshold means.
TESTS: dict[str, str] = {
    "ks": "p-value below which the feature drifted (two-sample Kolmogorov–Smirnov)",
    "chisquare": "p-value below which the feature drifted (Pearson's chi-square)",
    "wasserstein": "Wasserstein distance / reference std at or above which it drifted",
    "psi": "population stability index at or above which it drifted",
    "jensenshannon": "Jensen–Shannon distance (base 2) at or above which it drifted",
}
P_VALUE_TESTS = frozenset({"ks", "chisquare"})
NUMERIC_TESTS = frozenset({"ks", "wasserstein", "psi", "jensenshannon"})
CATEGORICAL_TESTS = frozenset({"chisquare", "psi", "jensenshannon"})

#: Fewer non-null values than this on either side: a feature gets no drift verdict.
DEFAULT_MIN_SAMPLE = 30
MIN_SAMPLE_HELP = "Fewer values of a feature than this on a side: no verdict (not enough data)."

DEFAULT_THRESHOLDS: dict[str, float] = {
    "ks": 0.05,
    "chisquare": 0.05,
    "wasserstein": 0.1,
    "psi": 0.1,
    "jensenshannon": 0.1,
}


@dataclass(frozen=True)
class DriftOptions:
    """Settings of one drift comparison (the defaults follow docs/monitoring.md).

    ``numeric_test``/``categorical_test`` force one test for every feature of
    that type; ``column_tests`` force one per column; otherwise the test is
    chosen by type and by ``small_sample`` (the smaller side's non-null count).
    A feature with fewer than ``min_sample`` values on a side gets no verdict
    (not enough data): on a handful of rows every test is noise.
    """

    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    small_sample: int = 1000
    min_sample: int = DEFAULT_MIN_SAMPLE
    numeric_test: str | None = None
    categorical_test: str | None = None
    column_tests: Mapping[str, str] = field(default_factory=dict)
    #: Numeric columns with at most this many distinct values are compared as categories.
    categorical_max_distinct: int = 5
    drift_share: float = 0.5
    columns: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    prediction: str | None = None
    multivariate: bool = True
    classifier_auc: float = 0.55
    classifier_alpha: float = 0.05
    sample_rows: int = 1000
    bins: int = 10

    def __post_init__(self) -> None:
        merged = dict(DEFAULT_THRESHOLDS)
        for name, value in self.thresholds.items():
            _check_test(name, "threshold")
            value = float(value)
            if name in P_VALUE_TESTS and not 0 < value < 1:
                raise InvalidInput(f"the {name} threshold is a p-value: give one between 0 and 1")
            if name not in P_VALUE_TESTS and not value > 0:
                raise InvalidInput(f"the {name} threshold must be positive")
            merged[name] = value
        object.__setattr__(self, "thresholds", merged)
        if self.numeric_test is not None and self.numeric_test not in NUMERIC_TESTS:
            raise InvalidInput(
                f"{self.numeric_test!r} cannot test numeric features",
                hint=f"use one of {', '.join(sorted(NUMERIC_TESTS))}",
            )
        if self.categorical_test is not None and self.categorical_test not in CATEGORICAL_TESTS:
            raise InvalidInput(
                f"{self.categorical_test!r} cannot test categorical features",
                hint=f"use one of {', '.join(sorted(CATEGORICAL_TESTS))}",
            )
        for column, test in self.column_tests.items():
            _check_test(test, f"test for column {column!r}")
        if not 0 < self.drift_share <= 1:
            raise InvalidInput("the drift share must be in (0, 1]")
        if not 0.5 <= self.classifier_auc < 1:
            raise InvalidInput("the classifier's ROC AUC threshold must be in [0.5, 1)")
        if self.small_sample < 0 or self.sample_rows < 0 or self.min_sample < 0:
            raise InvalidInput("sample sizes cannot be negative")
        if not 2 <= self.bins <= 1000:
            raise InvalidInput("bins must be between 2 and 1000")

    def to_dict(self) -> dict[str, Any]:
        return {
            "thresholds": dict(self.thresholds),
            "small_sample": self.small_sample,
            "min_sample": self.min_sample,
            "numeric_test": self.numeric_test,
            "categorical_test": self.categorical_test,
            "column_tests": dict(self.column_tests),
            "categorical_max_distinct": self.categorical_max_distinct,
            "drift_share": self.drift_share,
            "prediction": self.prediction,
            "multivariate": self.multivariate,
            "classifier_auc": self.classifier_auc,
            "bins": self.bins,
        }


def _check_test(name: str, what: str) -> None:
    if name not in TESTS:
        raise InvalidInput(
            f"unknown drift test {name!r} in the {what}",
            hint=f"use one of {', '.join(sorted(TESTS))}",
        )
