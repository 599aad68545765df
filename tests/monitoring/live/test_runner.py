"""One monitor run over a window of the inference log: drift, bad data as findings, traffic."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from shipyard.context import Context
from shipyard.core.digest import Digest
from shipyard.core.monitors import MonitorConfig, MonitorThresholds
from shipyard.monitoring.live.runner import run_monitor
from shipyard.serving.log_store import find_batches
from tests.monitoring.live.conftest import NOW, LogWriter, columns_of, frame


def config(reference: Path | None, **fields: object) -> MonitorConfig:
    return MonitorConfig(
        name="churn",
        model="churn",
        reference=str(reference) if reference else None,
        multivariate=False,
        **fields,  # type: ignore[arg-type]
    )


def codes(result: object) -> set[str]:
    findings = list(result.findings) + (list(result.drift.findings) if result.drift else [])  # type: ignore[attr-defined]
    return {f.code for f in findings}


def test_shifted_traffic_drifts_and_stable_traffic_does_not(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    log.predictions(columns_of(frame(1500, seed=5)), at=NOW - timedelta(hours=30))  # before
    log.predictions(columns_of(frame(1500, shift=1.0, seed=6)), at=NOW - timedelta(hours=3))
    result = run_monitor(ctx, config(reference), now=NOW)
    assert result.rows == 1500  # the older batch is outside the 24 h window
    assert result.drift is not None
    assert result.drift.dataset_drift
    assert {f.column for f in result.drift.drifted_features} == {"age", "income", "plan"}
    assert [b.kind for b in result.breaches] == ["drift"]
    gauges = result.gauges()
    assert gauges["share_drifted"] == 1.0
    assert gauges["breaches"]["drift"] is True
    assert gauges["features"]["age"]["drifted"] is True

    stable = run_monitor(ctx, config(reference), now=NOW - timedelta(hours=25))
    assert stable.rows == 1500
    assert stable.drift is not None
    assert not stable.drift.drifted_features
    assert stable.breaches == []
    assert stable.status == "ok"


def test_traffic_is_counted_per_bucket_and_per_version(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    log.predictions(columns_of(frame(30)), at=NOW - timedelta(hours=5, minutes=30), version="v1")
    log.predictions(columns_of(frame(20)), at=NOW - timedelta(minutes=50), version="v2")
    result = run_monitor(ctx, config(reference, bucket=timedelta(hours=1)), now=NOW)
    assert len(result.traffic) == 24
    assert sum(t["rows"] for t in result.traffic) == 50
    assert result.traffic[18]["rows"] == 30
    assert result.traffic[23]["rows"] == 20
    assert result.versions == {"v1": 30, "v2": 20}


def test_a_window_without_traffic_is_a_finding(ctx: Context, reference: Path) -> None:
    result = run_monitor(ctx, config(reference), now=NOW)
    assert result.rows == 0
    assert result.status == "no_data"
    assert result.drift is None
    assert result.breaches == []
    assert "no_traffic" in codes(result)
    demanding = config(reference, thresholds=MonitorThresholds(min_rows=10))
    assert [b.kind for b in run_monitor(ctx, demanding, now=NOW).breaches] == ["no_traffic"]


def test_no_reference_still_reports_traffic_and_says_why_drift_was_skipped(
    ctx: Context, log: LogWriter
) -> None:
    log.predictions(columns_of(frame(10)), at=NOW - timedelta(hours=1))
    result = run_monitor(ctx, config(None), now=NOW)
    assert result.rows == 10
    assert result.drift is None
    assert "no_reference" in codes(result)


def test_bad_live_data_becomes_findings(ctx: Context, log: LogWriter, reference: Path) -> None:
    data = frame(600, seed=3)
    good = columns_of(data.drop(columns=["income"]))  # income missing from the live data
    good["plan"] = ["enterprise"] * 50 + good["plan"][50:]  # a category training never saw
    good["extra"] = [None] * 600  # all null, and new
    log.predictions(good, at=NOW - timedelta(hours=4))
    broken = columns_of(frame(400, seed=4).drop(columns=["income"]))
    broken["age"] = ["n/a" if i % 4 == 0 else str(v) for i, v in enumerate(broken["age"])]
    log.predictions(broken, at=NOW - timedelta(hours=2))  # text in a numeric column
    result = run_monitor(ctx, config(reference), now=NOW)
    assert result.rows == 1000
    found = codes(result)
    assert {"missing_column", "unseen_categories", "type_mismatch"} <= found
    mismatch = next(f for f in result.findings if f.code == "type_mismatch")
    assert mismatch.column == "age"
    assert "100 live values" in mismatch.message
    assert result.drift is not None
    assert result.drift.feature("age") is not None


def test_a_column_entirely_null_in_the_window_is_not_tested(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    data = columns_of(frame(300))
    data["income"] = [None] * 300
    log.predictions(data, at=NOW - timedelta(hours=1))
    result = run_monitor(ctx, config(reference), now=NOW)
    assert "all_null" in codes(result)
    assert result.drift is not None
    assert result.drift.feature("income") is None


def test_a_column_numeric_in_training_and_text_live_is_a_type_mismatch(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    data = columns_of(frame(300))
    data["age"] = ["young" if v < 40 else "old" for v in data["age"]]
    log.predictions(data, at=NOW - timedelta(hours=1))
    result = run_monitor(ctx, config(reference), now=NOW)
    assert "type_mismatch" in codes(result)


def test_an_unreadable_batch_is_skipped_and_reported(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    log.predictions(columns_of(frame(200)), at=NOW - timedelta(hours=2))
    log.predictions(columns_of(frame(100)), at=NOW - timedelta(hours=1))
    lost = find_batches(ctx, "churn")[0]
    ctx.objects.delete([Digest.parse(lost.digest)])
    result = run_monitor(ctx, config(reference), now=NOW)
    assert result.rows == 100
    assert "unreadable_batch" in codes(result)


def test_shadow_answers_are_not_traffic(ctx: Context, log: LogWriter, reference: Path) -> None:
    log.predictions(columns_of(frame(50)), at=NOW - timedelta(hours=1))
    log.predictions(columns_of(frame(50, shift=1)), at=NOW - timedelta(hours=1), variant="shadow")
    assert run_monitor(ctx, config(reference), now=NOW).rows == 50


def test_prediction_drift_compares_outputs_with_the_reference_column(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    data = columns_of(frame(800))
    log.predictions(data, at=NOW - timedelta(hours=1), predictions=[1] * 760 + [0] * 40)
    result = run_monitor(ctx, config(reference, prediction="churned"), now=NOW)
    assert result.drift is not None
    assert result.drift.prediction is not None
    assert result.drift.prediction.drifted
    assert [b.kind for b in result.breaches] == ["prediction_drift"]
    assert "churned" not in {f.column for f in result.drift.features}


def test_an_unknown_reference_dataset_version_is_a_clear_error(ctx: Context) -> None:
    from shipyard.core.errors import ShipyardError

    with pytest.raises(ShipyardError, match=r"data/train\.parquet"):
        run_monitor(ctx, config(Path("data/train.parquet@v3")), now=NOW)


def test_live_traffic_is_checked_against_a_validation_suite(
    ctx: Context, log: LogWriter, workspace: Path
) -> None:
    (workspace / "suite.yaml").write_text(
        "version: 1\nname: churn\nrows: {min: 100000}\ncolumns:\n"
        "  age: {type: float, min: 0, max: 120}\n"
        "  plan: {type: string, allowed: [basic, pro, team]}\n"
        "  income: {type: float, required: true}\n"
    )
    first = columns_of(frame(100))
    first["age"][3] = -5.0
    log.predictions(first, at=NOW - timedelta(hours=3))
    second = columns_of(frame(100).drop(columns=["income"]))  # another schema
    second["plan"][7] = "gold"
    second["age"][9] = 300.0
    log.predictions(second, at=NOW - timedelta(hours=2))
    result = run_monitor(ctx, config(None, suite="suite.yaml"), now=NOW)
    validation = result.validation
    assert validation is not None
    assert not validation["passed"]
    failures = {(f["column"], f["rule"]): f for f in validation["failures"]}
    assert failures[("age", "min")]["failing"] == 1
    assert failures[("age", "min")]["examples"][0]["row"] == 4
    assert failures[("age", "max")]["examples"][0]["row"] == 110  # rows count the window
    assert failures[("plan", "allowed")]["failing"] == 1
    assert ("income", "required") in failures
    assert ("rows.min", None) not in {(f["rule"], f["column"]) for f in validation["failures"]}
    assert [b.kind for b in result.breaches] == ["validation"]
    tolerant = config(None, suite="suite.yaml", thresholds=MonitorThresholds(validation_failures=9))
    assert run_monitor(ctx, tolerant, now=NOW).breaches == []


def test_metrics_over_time_use_window_buckets(ctx: Context, log: LogWriter) -> None:
    rng = np.random.default_rng(0)
    for hour in (20, 2):
        ids = log.predictions(
            columns_of(frame(100)), at=NOW - timedelta(hours=hour), predictions=[1] * 100
        )
        truth = (rng.random(100) < (0.9 if hour == 20 else 0.5)).astype(int).tolist()
        log.feedback(ids, truth, at=NOW - timedelta(minutes=1))
    result = run_monitor(ctx, config(None, bucket=timedelta(hours=6)), now=NOW)
    perf = result.performance
    assert perf is not None
    assert perf.task == "classification"
    with_metrics = [b for b in perf.buckets if b["metrics"]]
    assert len(with_metrics) == 2
    early, late = with_metrics
    assert early["metrics"]["accuracy"] > late["metrics"]["accuracy"]
    assert sum(t["labelled"] for t in result.traffic) == 200
