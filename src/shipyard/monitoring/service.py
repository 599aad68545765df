"""Drift between a reference and current data: the monitoring service.

``drift(reference, current)`` accepts profiles, files (CSV, Parquet, saved
profile JSON, or anything a registered resolver understands) or in-memory
tables. The current side is profiled in one streaming pass; the comparison
itself reads only the two profiles, so its cost does not depend on the row
counts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.monitoring.features import compare_feature
from shipyard.monitoring.options import DriftOptions
from shipyard.monitoring.report import (
    DataSummary,
    DriftReport,
    FeatureDrift,
    Finding,
    MultivariateResult,
)
from shipyard.profiling.profile import Profile

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.profiling.reader import Progress

__all__ = ["compare_profiles", "drift"]

DataLike = Any  # Profile | str | Path | pyarrow.Table | pandas.DataFrame


def _as_profile(
    data: DataLike,
    *,
    default_label: str,
    context: Context | None,
    progress: Progress | None,
    sample_rows: int,
) -> tuple[str, Profile]:
    if isinstance(data, Profile):
        return data.source or default_label, data
    if isinstance(data, str | Path):
        from shipyard.monitoring.sources import load_profile

        return load_profile(data, context=context, progress=progress, sample_rows=sample_rows)
    from shipyard.profiling.profiler import profile_table

    return default_label, profile_table(data, sample_rows=sample_rows)


def drift(
    reference: DataLike,
    current: DataLike,
    options: DriftOptions | None = None,
    *,
    context: Context | None = None,
    progress: Progress | None = None,
) -> DriftReport:
    """Compare ``current`` with ``reference``; bad data becomes findings, never exceptions.

    Raises :class:`NotFound`/:class:`InvalidInput` only when a side cannot be
    read at all (missing file, not a table, malformed profile).
    """
    options = options or DriftOptions()
    ref_label, ref = _as_profile(
        reference,
        default_label="reference",
        context=context,
        progress=progress,
        sample_rows=options.sample_rows,
    )
    cur_label, cur = _as_profile(
        current,
        default_label="current",
        context=context,
        progress=progress,
        sample_rows=options.sample_rows,
    )
    return compare_profiles(ref, cur, options, reference_label=ref_label, current_label=cur_label)


def compare_profiles(
    reference: Profile,
    current: Profile,
    options: DriftOptions | None = None,
    *,
    reference_label: str = "reference",
    current_label: str = "current",
) -> DriftReport:
    """The drift report of two profiles."""
    options = options or DriftOptions()
    findings: list[Finding] = []
    features: list[FeatureDrift] = []
    prediction: FeatureDrift | None = None
    multivariate: MultivariateResult | None = None

    names = _feature_names(reference, options, findings)
    if reference.rows == 0:
        findings.append(
            Finding(
                "error", "empty_reference", "the reference has no rows: nothing to compare with"
            )
        )
    elif current.rows == 0:
        findings.append(
            Finding("error", "empty_current", "the current data has no rows: nothing to test")
        )
    else:
        for name in names:
            if name not in current:
                findings.append(
                    Finding(
                        "warning",
                        "missing_column",
                        f"{name} is missing from the current data",
                        name,
                    )
                )
                continue
            result, notes = compare_feature(name, reference[name], current[name], options)
            findings.extend(notes)
            if result is not None:
                features.append(result)
        short = [f.column for f in features if not f.enough_data]
        if short:
            shown = ", ".join(short[:8]) + (f" and {len(short) - 8} more" if len(short) > 8 else "")
            findings.append(
                Finding(
                    "warning",
                    "not_enough_data",
                    f"not enough data for a drift verdict on {len(short)} feature(s), fewer than "
                    f"{options.min_sample} values on a side (min_sample): {shown}",
                )
            )
        if options.prediction is not None:
            prediction = _prediction(reference, current, options, findings)
        if options.multivariate:
            multivariate = _multivariate(
                reference, current, [f.column for f in features], options, findings
            )
    for name in current.columns:
        if name not in reference and name != options.prediction and name not in options.ignore:
            findings.append(
                Finding(
                    "info", "new_column", f"{name} is new: the reference does not have it", name
                )
            )
    return DriftReport(
        reference=DataSummary(reference_label, reference.rows, len(reference.columns)),
        current=DataSummary(current_label, current.rows, len(current.columns)),
        features=features,
        drift_share=options.drift_share,
        multivariate=multivariate,
        prediction=prediction,
        findings=findings,
        options=options.to_dict(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _feature_names(reference: Profile, options: DriftOptions, findings: list[Finding]) -> list[str]:
    if options.columns is not None:
        for name in options.columns:
            if name not in reference:
                findings.append(
                    Finding("warning", "missing_column", f"{name} is not in the reference", name)
                )
        wanted = [n for n in options.columns if n in reference]
    else:
        wanted = list(reference.columns)
    return [n for n in wanted if n not in options.ignore and n != options.prediction]


def _prediction(
    reference: Profile, current: Profile, options: DriftOptions, findings: list[Finding]
) -> FeatureDrift | None:
    name = options.prediction
    assert name is not None
    for side, profile in (("reference", reference), ("current data", current)):
        if name not in profile:
            findings.append(
                Finding(
                    "error",
                    "missing_column",
                    f"the prediction column {name} is missing from the {side}",
                    name,
                )
            )
            return None
    result, notes = compare_feature(
        name, reference[name], current[name], options, role="prediction"
    )
    findings.extend(notes)
    return result


def _multivariate(
    reference: Profile,
    current: Profile,
    features: list[str],
    options: DriftOptions,
    findings: list[Finding],
) -> MultivariateResult:
    from shipyard.monitoring.multivariate import domain_classifier

    result = domain_classifier(reference, current, features, options)
    if not result.ran:
        findings.append(
            Finding(
                "info",
                "multivariate_skipped",
                f"the domain classifier did not run: {result.reason}",
            )
        )
    return result
