"""One feature compared: choose the test by type and size, run it, keep plot data."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Literal, cast

import numpy as np

from shipyard.core.errors import InvalidInput
from shipyard.monitoring import stattests
from shipyard.monitoring.categories import OTHER, Aligned, align, category_counts
from shipyard.monitoring.options import (
    CATEGORICAL_TESTS,
    NUMERIC_TESTS,
    P_VALUE_TESTS,
    DriftOptions,
)
from shipyard.monitoring.report import FeatureDrift, Finding
from shipyard.profiling.column import ColumnProfile
from shipyard.profiling.numeric import NumericColumn

__all__ = ["NULL_INCREASE", "choose_test", "compare_feature"]

#: A rise in the null share larger than this is reported as a finding.
NULL_INCREASE = 0.1
PLOT_BINS = 20
#: Text columns with at least this share of distinct values (and enough rows) are not tested.
IDENTIFIER_DISTINCT_SHARE = 0.9
IDENTIFIER_MIN_ROWS = 100
PLOT_CATEGORIES = 10

Treatment = Literal["numeric", "categorical"]


def choose_test(treatment: Treatment, smaller_side: int, options: DriftOptions, column: str) -> str:
    """The test for a feature (the rules of docs/monitoring.md, in order)."""
    forced = options.column_tests.get(column)
    if forced is not None:
        allowed = NUMERIC_TESTS if treatment == "numeric" else CATEGORICAL_TESTS
        if forced not in allowed:
            raise InvalidInput(
                f"the {forced} test cannot compare the {treatment} column {column!r}",
                hint=f"use one of {', '.join(sorted(allowed))}",
            )
        return forced
    if treatment == "numeric":
        if options.numeric_test is not None:
            return options.numeric_test
        return "ks" if smaller_side <= options.small_sample else "wasserstein"
    if options.categorical_test is not None:
        return options.categorical_test
    return "chisquare" if smaller_side <= options.small_sample else "jensenshannon"


def _treatment(
    reference: ColumnProfile, current: ColumnProfile, options: DriftOptions
) -> Treatment:
    if isinstance(reference, NumericColumn):
        forced = options.column_tests.get(reference.name) or options.numeric_test
        few = (
            reference.values is not None
            and len(reference.values) <= options.categorical_max_distinct
        )
        usable = isinstance(current, NumericColumn) and current.values is not None
        if few and usable and forced not in (NUMERIC_TESTS - CATEGORICAL_TESTS):
            return "categorical"
        return "numeric"
    return "categorical"


def _looks_like_identifier(column: ColumnProfile) -> bool:
    """Text whose values are (nearly) all distinct: ids, names, free text."""
    if column.kind != "categorical" or column.non_null < IDENTIFIER_MIN_ROWS:
        return False
    return (column.distinct or 0.0) >= IDENTIFIER_DISTINCT_SHARE * column.non_null


def compare_feature(
    name: str,
    reference: ColumnProfile,
    current: ColumnProfile,
    options: DriftOptions,
    role: Literal["feature", "prediction"] = "feature",
) -> tuple[FeatureDrift | None, list[Finding]]:
    """The feature's drift test, or None with findings saying why it was not tested."""
    findings: list[Finding] = []
    if reference.kind in ("datetime", "other"):
        what = "a date/time" if reference.kind == "datetime" else f"a {reference.dtype}"
        findings.append(
            Finding(
                "info", "not_tested", f"{name} is {what} column; it is not tested for drift", name
            )
        )
        return None, findings
    if _looks_like_identifier(reference) and name not in options.column_tests:
        findings.append(
            Finding(
                "info",
                "not_tested",
                f"{name} has a different value in almost every row (an identifier?); it is not "
                f"tested for drift (force a test with --test {name}=jensenshannon)",
                name,
            )
        )
        return None, findings
    if reference.non_null == 0:
        findings.append(
            Finding("warning", "all_null", f"{name} is entirely null in the reference", name)
        )
        return None, findings
    if current.non_null == 0:
        findings.append(
            Finding("warning", "all_null", f"{name} is entirely null in the current data", name)
        )
        return None, findings
    if reference.kind != current.kind:
        findings.append(
            Finding(
                "error",
                "type_mismatch",
                f"{name} is {reference.kind} ({reference.dtype}) in the reference but "
                f"{current.kind} ({current.dtype}) in the current data",
                name,
            )
        )
        return None, findings
    increase = current.null_fraction - reference.null_fraction
    if increase > NULL_INCREASE:
        findings.append(
            Finding(
                "warning",
                "null_increase",
                f"{name} is null in {current.null_fraction:.1%} of current rows "
                f"(reference: {reference.null_fraction:.1%})",
                name,
            )
        )
    treatment = _treatment(reference, current, options)
    result: FeatureDrift
    if treatment == "numeric":
        result = _numeric(
            name, cast(NumericColumn, reference), cast(NumericColumn, current), options, role
        )
    else:
        result, unseen = _categorical(name, reference, current, options, role)
        if unseen:
            shown = ", ".join(f"{label!r} ({count:,})" for label, count in list(unseen.items())[:5])
            more = f" and {len(unseen) - 5} more" if len(unseen) > 5 else ""
            findings.append(
                Finding(
                    "warning",
                    "unseen_categories",
                    f"{name} has {len(unseen)} categor{'y' if len(unseen) == 1 else 'ies'} "
                    f"never seen in the reference: {shown}{more}",
                    name,
                )
            )
    if min(reference.non_null, current.non_null) < options.min_sample:
        result = replace(result, drifted=False, enough_data=False)
    return result, findings


def _drifted(test: str, outcome: stattests.Outcome, threshold: float) -> bool:
    if test in P_VALUE_TESTS:
        return outcome.p_value is not None and outcome.p_value < threshold
    return bool(np.isfinite(outcome.statistic) and outcome.statistic >= threshold)


def _numeric(
    name: str,
    reference: NumericColumn,
    current: NumericColumn,
    options: DriftOptions,
    role: Literal["feature", "prediction"],
) -> FeatureDrift:
    test = choose_test("numeric", min(reference.count, current.count), options, name)
    ref, cur = reference.sketch, current.sketch
    if test == "ks":
        outcome = stattests.ks(ref, cur)
    elif test == "wasserstein":
        outcome = stattests.wasserstein_normed(ref, cur, reference.moments.population_std)
    elif test == "psi":
        outcome = stattests.psi_numeric(ref, cur, options.bins)
    else:
        outcome = stattests.jensen_shannon_numeric(ref, cur, options.bins)
    threshold = options.thresholds[test]
    return FeatureDrift(
        column=name,
        kind=reference.kind,
        test=test,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        threshold=threshold,
        drifted=_drifted(test, outcome, threshold),
        reference_rows=reference.rows,
        current_rows=current.rows,
        reference_nulls=reference.null_fraction,
        current_nulls=current.null_fraction,
        histogram=_numeric_histogram(reference, current),
        role=role,
    )


def _categorical(
    name: str,
    reference: ColumnProfile,
    current: ColumnProfile,
    options: DriftOptions,
    role: Literal["feature", "prediction"],
) -> tuple[FeatureDrift, dict[str, int]]:
    ref_counts, cur_counts = category_counts(reference), category_counts(current)
    if ref_counts is None or cur_counts is None:  # _treatment() chose categories: both have them
        raise ValueError(f"{name} keeps no category counts")
    aligned = align(ref_counts, cur_counts)
    test = choose_test("categorical", min(reference.non_null, current.non_null), options, name)
    if test == "chisquare":
        outcome = stattests.chi_square(aligned.reference, aligned.current)
    elif test == "psi":
        outcome = stattests.psi_counts(aligned.reference, aligned.current)
    else:
        outcome = stattests.jensen_shannon_counts(aligned.reference, aligned.current)
    threshold = options.thresholds[test]
    drift = FeatureDrift(
        column=name,
        kind=reference.kind,
        test=test,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        threshold=threshold,
        drifted=_drifted(test, outcome, threshold),
        reference_rows=reference.rows,
        current_rows=current.rows,
        reference_nulls=reference.null_fraction,
        current_nulls=current.null_fraction,
        histogram=_categorical_histogram(aligned),
        role=role,
    )
    return drift, aligned.unseen


def _shares(values: np.ndarray) -> list[float]:
    total = float(values.sum())
    return [round(float(v) / total, 6) if total else 0.0 for v in values]


def _numeric_histogram(reference: NumericColumn, current: NumericColumn) -> dict[str, Any]:
    low = min(reference.quantile(0.005), current.quantile(0.005))
    high = max(reference.quantile(0.995), current.quantile(0.995))
    if not np.isfinite(low) or not np.isfinite(high):
        return {}
    if high <= low:
        high = low + 1.0
    if reference.integer and current.integer and high - low <= 4 * PLOT_BINS:
        # whole numbers: bins centred on them, each holding the same count of integers
        step = max(1, math.ceil((high - low + 1) / PLOT_BINS))
        edges = np.arange(math.floor(low) - 0.5, math.ceil(high) + step, step)
    else:
        edges = np.linspace(low, high, PLOT_BINS + 1)

    def shares(column: NumericColumn) -> list[float]:
        cdf = np.concatenate(([0.0], column.sketch.cdf(edges[1:-1]), [1.0]))
        return [round(float(v), 6) for v in np.diff(cdf)]

    return {
        "edges": [float(f"{e:.6g}") for e in edges],
        "reference": shares(reference),
        "current": shares(current),
    }


def _categorical_histogram(aligned: Aligned) -> dict[str, Any]:
    labels, ref, cur = aligned.labels, aligned.reference, aligned.current
    if len(labels) > PLOT_CATEGORIES:
        head = [i for i, label in enumerate(labels) if label != OTHER][: PLOT_CATEGORIES - 1]
        tail = [i for i in range(len(labels)) if i not in head]
        labels = [labels[i] for i in head] + [OTHER]
        ref = np.append(ref[head], ref[tail].sum())
        cur = np.append(cur[head], cur[tail].sum())
    return {"labels": labels, "reference": _shares(ref), "current": _shares(cur)}
