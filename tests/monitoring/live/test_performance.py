"""Performance decay: labels joined by request id and row, metrics equal scikit-learn's."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sklearn import metrics as skm

from shipyard.context import Context
from shipyard.core.monitors import MonitorConfig, MonitorThresholds
from shipyard.monitoring.live.runner import run_monitor
from tests.monitoring.live.conftest import NOW, LogWriter, columns_of, frame


def config(**fields: object) -> MonitorConfig:
    return MonitorConfig(name="churn", model="churn", multivariate=False, **fields)  # type: ignore[arg-type]


def test_classification_metrics_equal_sklearn_on_the_joined_rows(
    ctx: Context, log: LogWriter
) -> None:
    rng = np.random.default_rng(7)
    n = 400
    predicted = rng.integers(0, 2, n)
    truth = np.where(rng.random(n) < 0.8, predicted, 1 - predicted)
    probabilities = np.clip(predicted * 0.6 + rng.random(n) * 0.4, 0, 1)
    ids = log.predictions(
        columns_of(frame(n)),
        at=NOW - timedelta(hours=2),
        outputs={
            "predict": predicted.tolist(),
            "predict_proba": [[1 - p, p] for p in probabilities],
        },
    )
    labelled = np.arange(n) % 4 != 0  # a quarter never gets a label
    log.feedback([i for i, keep in zip(ids, labelled, strict=True) if keep],
                 truth[labelled].tolist(), at=NOW)  # fmt: skip
    perf = run_monitor(ctx, config(), now=NOW).performance
    assert perf is not None
    assert perf.task == "classification"
    assert perf.positive_label == 1
    assert perf.labelled_rows == int(labelled.sum())
    t, p, s = truth[labelled], predicted[labelled], probabilities[labelled]
    assert perf.metrics["accuracy"] == pytest.approx(skm.accuracy_score(t, p))
    assert perf.metrics["precision"] == pytest.approx(skm.precision_score(t, p))
    assert perf.metrics["recall"] == pytest.approx(skm.recall_score(t, p))
    assert perf.metrics["f1"] == pytest.approx(skm.f1_score(t, p))
    assert perf.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(t, s))


def test_a_rows_own_label_wins_and_the_latest_label_wins(ctx: Context, log: LogWriter) -> None:
    ids = log.predictions(columns_of(frame(3)), at=NOW - timedelta(hours=1), predictions=[1, 1, 0])
    # request-level labels for all three (row -1) ...
    log.feedback(ids, ["0", "0", "0"], at=NOW - timedelta(minutes=30))
    # ... a correction for the first request's row 0, and a later one for the second
    log.feedback([ids[0]], [1], at=NOW - timedelta(minutes=20), rows=[0])
    log.feedback([ids[1]], [0], at=NOW - timedelta(minutes=15), rows=[0])
    log.feedback([ids[1]], [1], at=NOW - timedelta(minutes=10), rows=[0])
    perf = run_monitor(ctx, config(thresholds=MonitorThresholds(min_labels=1)), now=NOW).performance
    assert perf is not None
    assert perf.labelled_rows == 3
    assert perf.metrics["accuracy"] == pytest.approx(1.0)  # labels 1, 1, 0: all right


def test_string_labels_and_a_chosen_positive_label(ctx: Context, log: LogWriter) -> None:
    ids = log.predictions(
        columns_of(frame(6)),
        at=NOW - timedelta(hours=1),
        predictions=["yes", "yes", "no", "no", "yes", "no"],
    )
    log.feedback(ids, ["yes", "no", "no", "no", "yes", "yes"], at=NOW)
    run = run_monitor(
        ctx,
        config(positive_label="no", thresholds=MonitorThresholds(min_labels=1)),
        now=NOW,
    )
    perf = run.performance
    assert perf is not None
    assert perf.positive_label == "no"
    truth = np.array(["yes", "no", "no", "no", "yes", "yes"]) == "no"
    guess = np.array(["yes", "yes", "no", "no", "yes", "no"]) == "no"
    assert perf.metrics["precision"] == pytest.approx(skm.precision_score(truth, guess))
    assert perf.metrics["recall"] == pytest.approx(skm.recall_score(truth, guess))


def test_regression_metrics_and_decay_against_the_training_baseline(
    ctx: Context, log: LogWriter
) -> None:
    rng = np.random.default_rng(3)
    truth = rng.normal(100, 20, 200)
    guess = truth + rng.normal(0, 8, 200)
    ids = log.predictions(columns_of(frame(200)), at=NOW - timedelta(hours=3),
                          predictions=guess.tolist())  # fmt: skip
    log.feedback(ids, truth.tolist(), at=NOW)
    result = run_monitor(ctx, config(baseline={"mae": 5.0, "rmse": 6.0}), now=NOW)
    perf = result.performance
    assert perf is not None
    assert perf.task == "regression"
    assert perf.metrics["mae"] == pytest.approx(skm.mean_absolute_error(truth, guess))
    assert perf.metrics["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(truth, guess)))
    assert set(perf.decayed) == {"mae", "rmse"}  # ~6.4 and ~8: worse than 5 and 6 by > 5 %
    assert [b.kind for b in result.breaches] == ["performance"]
    assert perf.limits == pytest.approx({"mae": 5.25, "rmse": 6.3})  # errors: 5 % above
    gauges = result.gauges()  # what the UI draws: the limit line and the verdict
    assert gauges["limits"] == pytest.approx({"mae": 5.25, "rmse": 6.3})
    assert gauges["decayed"] == gauges["lower_is_better"] == ["mae", "rmse"]
    lenient = config(
        baseline={"mae": 5.0, "rmse": 6.0},
        thresholds=MonitorThresholds(performance_decay=0.05, decay={"mae": 0.5, "rmse": 0.5}),
    )
    assert run_monitor(ctx, lenient, now=NOW).breaches == []


def test_a_classifier_within_tolerance_is_no_breach(ctx: Context, log: LogWriter) -> None:
    ids = log.predictions(columns_of(frame(100)), at=NOW - timedelta(hours=1),
                          predictions=[1] * 50 + [0] * 50)  # fmt: skip
    log.feedback(ids, [1] * 48 + [0] * 52, at=NOW)  # accuracy 0.98
    result = run_monitor(ctx, config(baseline={"accuracy": 0.99}), now=NOW)
    assert result.performance is not None
    assert result.performance.decayed == {}
    assert result.performance.limits == pytest.approx({"accuracy": 0.9405})  # 5 % below
    assert result.gauges()["decayed"] == result.gauges()["lower_is_better"] == []
    assert result.breaches == []
    strict = config(baseline={"accuracy": 0.99}, thresholds=MonitorThresholds(performance_decay=0))
    assert [b.kind for b in run_monitor(ctx, strict, now=NOW).breaches] == ["performance"]


def test_too_few_labels_or_none_are_findings(ctx: Context, log: LogWriter) -> None:
    ids = log.predictions(columns_of(frame(10)), at=NOW - timedelta(hours=1), predictions=[1] * 10)
    result = run_monitor(ctx, config(baseline={"accuracy": 0.9}), now=NOW)
    assert "no_labels" in {f.code for f in result.findings}
    assert result.gauges()["limits"] == pytest.approx({"accuracy": 0.855})  # drawn anyway
    log.feedback(ids[:5], [1] * 5, at=NOW)
    result = run_monitor(ctx, config(baseline={"accuracy": 0.9}), now=NOW)
    assert "few_labels" in {f.code for f in result.findings}
    assert result.performance is not None
    assert result.performance.metrics == {}
    assert result.breaches == []


def test_labels_of_mixed_types_are_compared_as_text(ctx: Context, log: LogWriter) -> None:
    ids = log.predictions(columns_of(frame(4)), at=NOW - timedelta(hours=1),
                          predictions=[1, 0, 1, 0])  # fmt: skip
    log.feedback(ids[:2], [1, 0], at=NOW)
    log.feedback(ids[2:], ["1", "1"], at=NOW)
    perf = run_monitor(ctx, config(thresholds=MonitorThresholds(min_labels=1)), now=NOW).performance
    assert perf is not None
    assert perf.metrics["accuracy"] == pytest.approx(0.75)
