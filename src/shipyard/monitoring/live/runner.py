"""One live monitor run: a window of a model's inference log against its reference.

:func:`run_monitor` streams the window once (one stored batch at a time) and
feeds each batch to the current-side profiler (drift), the validation suite
(if any), the performance tracker (labels joined by request id and row) and
the traffic counters. Then it compares, decides which thresholds were
breached, and returns a :class:`MonitorResult`. It stores nothing and
notifies nobody: :func:`shipyard.monitoring.live.service.monitor` does that.

Whatever the data holds — no traffic, missing or all-null columns, unseen
categories, mismatched types, unreadable batches — becomes a finding.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.core.monitors import MonitorConfig
from shipyard.core.principal import Role
from shipyard.monitoring.live.current import WindowProfiler
from shipyard.monitoring.live.labels import load_labels
from shipyard.monitoring.live.model_info import model_info
from shipyard.monitoring.live.performance import PerformanceTracker, prediction_columns
from shipyard.monitoring.live.result import Breach, MonitorResult
from shipyard.monitoring.live.validation import LiveValidator
from shipyard.monitoring.live.window import META_COLUMNS, Window, log_tables
from shipyard.monitoring.options import DriftOptions
from shipyard.monitoring.report import DriftReport, Finding
from shipyard.monitoring.verdict import describe

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.profiling.profile import Profile
    from shipyard.profiling.reader import Progress
    from shipyard.validate.suite import Suite

__all__ = ["GivenInputs", "resolve_path", "run_monitor"]


@dataclass(frozen=True)
class GivenInputs:
    """A reference profile and a suite resolved elsewhere (by a remote client), used instead
    of reading the config's ``reference`` and ``suite`` paths here."""

    reference_label: str | None
    reference: Profile | None
    suite: Suite | None


@dataclass
class _Inputs:
    reference_label: str | None
    reference: Profile | None
    suite: Suite | None
    baseline: dict[str, float]


def resolve_path(ctx: Context, spec: str) -> str:
    """``spec`` as given, or relative to the workspace root when that is where it exists."""
    path = Path(spec)
    if path.is_absolute() or path.exists() or ctx.settings.workspace is None:
        return spec
    beside_config = ctx.settings.workspace / path
    return str(beside_config) if beside_config.exists() else spec


def run_monitor(
    ctx: Context,
    config: MonitorConfig,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    min_sample: int | None = None,
    given: GivenInputs | None = None,
) -> MonitorResult:
    """Run ``config`` over the window ending ``now``; needs the viewer role to read the log.

    ``min_sample``: fewer values of a feature than this in the window (or the reference)
    give that feature no drift verdict (default: the monitor's ``thresholds.min_sample``)."""
    ctx.principal.require(Role.VIEWER, ctx.project, "read the inference log")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    window = Window.ending(config.window, now, config.bucket)
    findings: list[Finding] = []
    info = model_info(config.model, ctx)
    inputs = _inputs(ctx, config, info.reference, dict(info.baseline), findings, given)

    def skipped(reason: str) -> None:
        findings.append(Finding("warning", "unreadable_batch", reason))

    labels = load_labels(ctx, info.served_name, window, now=now, skipped=skipped)
    profiler = WindowProfiler(sample_rows=1000, source=f"{info.served_name} (live)")
    validator = LiveValidator(inputs.suite, info.served_name) if inputs.suite else None
    tracker = PerformanceTracker(labels, window)
    buckets = window.bucket_starts()
    traffic = np.zeros(len(buckets), dtype=np.int64)
    versions: Counter[str] = Counter()
    for table in log_tables(ctx, info.served_name, window, skipped=skipped):
        if "_variant" in table.column_names:  # a shadow's answers are not the model's traffic
            table = table.filter(pc.not_equal(table["_variant"], pa.scalar("shadow")))
        if table.num_rows == 0:
            continue
        if "_version" in table.column_names:
            versions.update(table["_version"].to_pylist())
        index = window.bucket_index(table["_time"].combine_chunks())
        traffic += np.bincount(index.to_numpy(zero_copy_only=False), minlength=len(buckets))
        tracker.update(table)
        features = table.drop_columns([c for c in META_COLUMNS if c in table.column_names])
        outputs = [c for c in features.column_names if c.startswith("_prediction")]
        value, _scores = prediction_columns(outputs)
        observed = features.drop_columns([c for c in outputs if c != value])
        if value is not None:  # the model's output, under the reference's name for it
            if config.prediction and config.prediction not in observed.column_names:
                names = [config.prediction if c == value else c for c in observed.column_names]
                observed = observed.rename_columns(names)
            else:
                observed = observed.drop_columns([value])
        profiler.update(observed)
        if validator is not None:
            validator.update(features.drop_columns(outputs))
        if progress is not None:
            progress(int(traffic.sum()), None)
    rows = int(traffic.sum())
    findings.extend(profiler.findings())
    drift = _drift(config, inputs, profiler.profile() if rows else None, min_sample)
    if rows == 0:
        findings.append(
            Finding(
                "warning",
                "no_traffic",
                f"no requests of {info.served_name} were logged in the window "
                f"({window.start:%Y-%m-%d %H:%M} – {window.end:%Y-%m-%d %H:%M} UTC)",
            )
        )
    performance = tracker.result(
        task=config.task,
        positive_label=config.positive_label,
        baseline=inputs.baseline,
        thresholds=config.thresholds,
        findings=findings,
    )
    labelled = {b["start"]: b["labelled"] for b in performance.buckets}
    result = MonitorResult(
        monitor=config.name,
        model=config.model,
        window_start=window.start,
        window_end=window.end,
        bucket_seconds=window.bucket.total_seconds(),
        rows=rows,
        reference=inputs.reference_label,
        versions=dict(versions),
        traffic=[
            {"start": s.isoformat(), "rows": int(n), "labelled": labelled.get(s.isoformat(), 0)}
            for s, n in zip(buckets, traffic, strict=True)
        ],
        drift=drift,
        validation=validator.result() if validator is not None and rows else None,
        performance=performance,
        findings=findings,
        created_at=now.isoformat(timespec="seconds"),
    )
    result.breaches = breaches(result, config)
    return result


def _inputs(
    ctx: Context,
    config: MonitorConfig,
    provided_reference: str | None,
    provided_baseline: dict[str, float],
    findings: list[Finding],
    given: GivenInputs | None = None,
) -> _Inputs:
    from shipyard.monitoring.sources import load_profile

    spec = config.reference or provided_reference
    label, profile = None, None
    baseline = dict(config.baseline or provided_baseline)
    if given is not None and given.reference is not None:
        return _Inputs(given.reference_label, given.reference, given.suite, baseline)
    if given is not None:
        config = replace(config, suite=None)
    if spec:
        label, profile = load_profile(resolve_path(ctx, spec), context=ctx)
    else:
        findings.append(
            Finding(
                "warning",
                "no_reference",
                "no reference to compare with: drift was not tested "
                "(give --reference, or reference = … in the monitor's config)",
            )
        )
    suite = given.suite if given is not None else None
    if config.suite:
        from shipyard.validate.suite import load_suite

        suite = load_suite(resolve_path(ctx, config.suite))
    return _Inputs(label, profile, suite, baseline)


def drift_options(config: MonitorConfig, min_sample: int | None = None) -> DriftOptions:
    return DriftOptions(
        thresholds=dict(config.thresholds.tests),
        drift_share=config.thresholds.drift_share,
        columns=config.columns,
        ignore=config.ignore,
        prediction=config.prediction,
        multivariate=config.multivariate,
        min_sample=config.thresholds.min_sample if min_sample is None else min_sample,
    )


def _drift(
    config: MonitorConfig, inputs: _Inputs, current: Profile | None, min_sample: int | None
) -> DriftReport | None:
    from shipyard.monitoring.service import compare_profiles

    if inputs.reference is None or current is None:
        return None
    report = compare_profiles(
        inputs.reference,
        current,
        drift_options(config, min_sample),
        reference_label=inputs.reference_label or "reference",
        current_label=current.source or "live traffic",
    )
    return report


def breaches(result: MonitorResult, config: MonitorConfig) -> list[Breach]:
    """Which thresholds this run crossed, in :data:`BREACH_KINDS` order."""
    found: list[Breach] = []
    thresholds = config.thresholds
    drift = result.drift
    if drift is not None and drift.dataset_drift:
        said = describe(drift)
        names = ", ".join(f.column for f in drift.drifted_features[:8])
        found.append(
            Breach("drift", f"{said.headline}: {said.detail}" + (f": {names}" if names else ""))
        )
    if drift is not None and drift.prediction is not None and drift.prediction.drifted:
        p = drift.prediction
        found.append(Breach("prediction_drift", f"predictions drifted ({p.test} {p.score:.3g})"))
    failing = result.validation_failures
    if result.validation is not None and failing > thresholds.validation_failures:
        rules = ", ".join(
            f"{f['column'] or 'table'}.{f['rule']}" for f in result.validation["failures"][:6]
        )
        found.append(Breach("validation", f"{failing} validation rules failed: {rules}"))
    perf = result.performance
    if perf is not None and perf.decayed:
        parts = [
            f"{m} {d['value']:.3f} (training {d['baseline']:.3f})" for m, d in perf.decayed.items()
        ]
        found.append(Breach("performance", "performance decayed: " + ", ".join(parts)))
    if result.rows < thresholds.min_rows:
        found.append(
            Breach(
                "no_traffic",
                f"{result.rows:,} rows in the window (at least {thresholds.min_rows:,} expected)",
            )
        )
    return found
