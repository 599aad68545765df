"""Performance decay: labelled predictions scored per time bucket, compared with training.

The inference log holds each row's prediction (``_prediction``; a list of
probabilities when the client asked for ``predict_proba``, or
``_prediction.NAME`` per output); feedback holds labels. Labelled rows are
kept (they are bounded by the labels, which are in memory already) per
bucket of the window, and scored at the end:

* classification — accuracy, precision, recall, F1 (binary: of the positive
  label; more classes: macro averages) and ROC AUC when scores exist (binary);
* regression — MAE and RMSE.

A metric has *decayed* when it is worse than its baseline (the metrics
recorded at training) by more than the allowed share of the baseline: past its
*limit* (``limits``, kept for every baseline metric so a chart can draw it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.core.monitors import MonitorThresholds, Task
from shipyard.monitoring.live.labels import LABEL, Labels, attach_labels
from shipyard.monitoring.live.window import Window
from shipyard.monitoring.report import Finding

__all__ = [
    "CLASSIFICATION",
    "LOWER_IS_BETTER",
    "REGRESSION",
    "Performance",
    "PerformanceTracker",
    "prediction_columns",
]

CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc")
REGRESSION = ("mae", "rmse")
LOWER_IS_BETTER = frozenset(REGRESSION)
_MAX_CLASSES = 20


def prediction_columns(names: list[str]) -> tuple[str | None, str | None]:
    """(label-or-value column, probabilities column) among a log table's columns."""
    outputs = [n for n in names if n == "_prediction" or n.startswith("_prediction.")]
    known = ("_prediction", "_prediction.predict")
    value: str | None = next((n for n in known if n in outputs), None)
    scores = "_prediction.predict_proba" if "_prediction.predict_proba" in outputs else None
    if value is None:
        value = next((n for n in outputs if n != scores), None)
    return value, scores


@dataclass
class Performance:
    """Metrics of the whole window and of each bucket, and their comparison with training."""

    task: str | None
    labelled_rows: int
    positive_label: Any = None
    metrics: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    decayed: dict[str, dict[str, float]] = field(default_factory=dict)
    buckets: list[dict[str, Any]] = field(default_factory=list)
    limits: dict[str, float] = field(default_factory=dict)
    """The worst value each baseline metric may take before it has decayed."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "labelled_rows": self.labelled_rows,
            "positive_label": self.positive_label,
            "metrics": self.metrics,
            "baseline": self.baseline,
            "decayed": self.decayed,
            "buckets": self.buckets,
            "limits": self.limits,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Performance:
        return cls(
            task=data.get("task"),
            labelled_rows=int(data.get("labelled_rows", 0)),
            positive_label=data.get("positive_label"),
            metrics=dict(data.get("metrics") or {}),
            baseline=dict(data.get("baseline") or {}),
            decayed=dict(data.get("decayed") or {}),
            buckets=list(data.get("buckets") or []),
            limits=dict(data.get("limits") or {}),
        )


class PerformanceTracker:
    """Collects labelled predictions batch by batch, then scores them."""

    def __init__(self, labels: Labels, window: Window) -> None:
        self.labels = labels
        self.window = window
        self.parts: list[pa.Table] = []
        self.missing_prediction = False

    def update(self, table: pa.Table) -> None:
        if self.labels.count == 0:
            return
        value, scores = prediction_columns(table.column_names)
        if value is None and scores is None:
            self.missing_prediction = True
            return
        flat = table.select(["_request_id", "_row", "_time"])
        predicted, score = _prediction_and_score(table, value, scores)
        flat = flat.append_column("_pred", predicted).append_column("_score", score)
        labelled = attach_labels(flat, self.labels)
        if labelled.num_rows:
            bucket = self.window.bucket_index(labelled["_time"].combine_chunks())
            self.parts.append(
                labelled.select(["_pred", "_score", LABEL]).append_column("_bucket", bucket)
            )

    def result(
        self,
        *,
        task: Task,
        positive_label: Any,
        baseline: dict[str, float],
        thresholds: MonitorThresholds,
        findings: list[Finding],
    ) -> Performance:
        limits = _limits(baseline, thresholds)
        if self.labels.count == 0:
            findings.append(
                Finding("info", "no_labels", "no feedback labels for this window: no metrics")
            )
            return Performance(None, 0, baseline=dict(baseline), limits=limits)
        if self.missing_prediction and not self.parts:
            findings.append(
                Finding("warning", "no_predictions", "the log holds no prediction column")
            )
            return Performance(None, 0, baseline=dict(baseline), limits=limits)
        parts = [p for p in self.parts if p.num_rows]
        if not parts:
            findings.append(
                Finding("info", "no_labels", "no label matches a prediction of this window")
            )
            return Performance(None, 0, baseline=dict(baseline), limits=limits)
        table = _unify(parts)
        truth, predicted = table[LABEL].combine_chunks(), table["_pred"].combine_chunks()
        truth, predicted = _comparable(truth, predicted)
        chosen = _task(task, truth, predicted)
        positive = _positive(chosen, truth, predicted, positive_label)
        scores = table["_score"].to_numpy(zero_copy_only=False).astype(np.float64)
        classes = sorted(
            set(truth.drop_null().to_pylist()) | set(predicted.drop_null().to_pylist())
        )
        if positive is not None and len(classes) == 2 and positive == classes[0]:
            scores = 1.0 - scores  # the probabilities are of the other class (index 1)
        bucket = table["_bucket"].to_numpy(zero_copy_only=False)
        y_true = truth.to_numpy(zero_copy_only=False)
        y_pred = predicted.to_numpy(zero_copy_only=False)
        overall = _score(chosen, y_true, y_pred, scores, positive)
        buckets = []
        for i, start in enumerate(self.window.bucket_starts()):
            mask = bucket == i
            count = int(mask.sum())
            metrics = (
                _score(chosen, y_true[mask], y_pred[mask], scores[mask], positive)
                if count >= thresholds.min_labels
                else {}
            )
            buckets.append({"start": start.isoformat(), "labelled": count, "metrics": metrics})
        labelled = len(y_true)
        perf = Performance(chosen, labelled, _plain(positive), baseline=dict(baseline),
                           limits=limits)  # fmt: skip
        perf.buckets = buckets
        if labelled < thresholds.min_labels:
            findings.append(
                Finding(
                    "info",
                    "few_labels",
                    f"only {labelled:,} labelled rows (at least {thresholds.min_labels} are "
                    "needed for metrics)",
                )
            )
            return perf
        perf.metrics = overall
        perf.decayed = _decayed(overall, baseline, limits)
        for metric in baseline:
            if metric not in overall:
                findings.append(
                    Finding(
                        "info",
                        "baseline_unmatched",
                        f"the baseline has {metric}, which this {chosen} window cannot compute",
                    )
                )
        return perf


def _prediction_and_score(
    table: pa.Table, value: str | None, scores: str | None
) -> tuple[pa.Array, pa.Array]:
    n = table.num_rows
    probabilities = None
    if scores is not None:
        probabilities = table[scores].combine_chunks()
    if value is not None:
        column = table[value].combine_chunks()
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            probabilities, column = column, None
    else:
        column = None
    score = pa.nulls(n, pa.float64())
    if probabilities is not None and (
        pa.types.is_list(probabilities.type) or pa.types.is_large_list(probabilities.type)
    ):
        matrix = _matrix(probabilities)
        if matrix is not None and matrix.shape[1] >= 2:
            score = pa.array(matrix[:, 1] if matrix.shape[1] == 2 else np.full(n, np.nan),
                             from_pandas=True)  # fmt: skip
            if column is None:
                column = pa.array(np.argmax(np.nan_to_num(matrix, nan=-1.0), axis=1))
    if column is None:
        column = pa.nulls(n, pa.float64())
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_boolean(column.type):
        column = column.cast(pa.int64())
    return column, score.cast(pa.float64())


def _matrix(lists: pa.Array) -> np.ndarray | None:
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    if len(lengths) == 0 or np.any(lengths != lengths[0]) or lists.null_count:
        return None
    flat = pc.list_flatten(lists).cast(pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(flat, dtype=np.float64).reshape(len(lengths), int(lengths[0]))


def _unify(parts: list[pa.Table]) -> pa.Table:
    kinds = {p.schema.field("_pred").type for p in parts}
    if len(kinds) > 1:
        numeric = all(pa.types.is_integer(k) or pa.types.is_floating(k) for k in kinds)
        target = pa.float64() if numeric else pa.string()
        parts = [p.set_column(0, "_pred", p["_pred"].cast(target)) for p in parts]
    return pa.concat_tables(parts)


def _comparable(truth: pa.Array, predicted: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Both numeric (float64), or both text."""
    numeric = [
        pa.types.is_integer(a.type) or pa.types.is_floating(a.type) for a in (truth, predicted)
    ]
    if all(numeric):
        return truth.cast(pa.float64()), predicted.cast(pa.float64())
    return _as_text(truth), _as_text(predicted)


def _as_text(array: pa.Array) -> pa.Array:
    if pa.types.is_floating(array.type):
        values = array.to_pylist()
        whole = all(v is None or (math.isfinite(v) and v == int(v)) for v in values)
        if whole:
            return pa.array([None if v is None else str(int(v)) for v in values], pa.string())
    return array.cast(pa.string())


def _task(task: Task, truth: pa.Array, predicted: pa.Array) -> str:
    if task != "auto":
        return task
    if pa.types.is_string(truth.type):
        return "classification"
    values = np.concatenate([truth.to_numpy(zero_copy_only=False),
                             predicted.to_numpy(zero_copy_only=False)])  # fmt: skip
    values = values[~np.isnan(values)]
    integral = bool(np.all(values == np.round(values)))
    few = len(np.unique(values)) <= _MAX_CLASSES
    return "classification" if integral and few else "regression"


def _positive(task: str, truth: pa.Array, predicted: pa.Array, given: Any) -> Any:
    if task != "classification":
        return None
    if given is not None:
        if not pa.types.is_floating(truth.type):
            return str(given).lower() if isinstance(given, bool) else str(given)
        try:
            return float(given)
        except ValueError:
            return None
    classes = sorted(set(truth.drop_null().to_pylist()) | set(predicted.drop_null().to_pylist()))
    if len(classes) > 2:
        return None  # macro averages
    for candidate in (1.0, "1", "true", "True", "yes"):
        if candidate in classes:
            return candidate
    return classes[-1] if classes else None


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _score(
    task: str, y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray, positive: Any
) -> dict[str, float]:
    if len(y_true) == 0:
        return {}
    from sklearn import metrics as skm

    if task == "regression":
        truth = y_true.astype(np.float64)
        guess = y_pred.astype(np.float64)
        keep = ~(np.isnan(truth) | np.isnan(guess))
        if not keep.any():
            return {}
        error = guess[keep] - truth[keep]
        return {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error**2)))}
    truth = y_true.astype(object)
    guess = y_pred.astype(object)
    out = {"accuracy": float(np.mean(truth == guess))}
    if positive is not None:
        t, g = truth == positive, guess == positive
        precision, recall, f1, _ = skm.precision_recall_fscore_support(
            t, g, average="binary", zero_division=0
        )
        finite = ~np.isnan(scores)
        if finite.all() and len(set(t.tolist())) == 2:
            out["roc_auc"] = float(skm.roc_auc_score(t, scores))
    else:
        labels = sorted(set(truth.tolist()) | set(guess.tolist()), key=str)
        precision, recall, f1, _ = skm.precision_recall_fscore_support(
            truth.astype(str), guess.astype(str), labels=[str(v) for v in labels],
            average="macro", zero_division=0,
        )  # fmt: skip
    out.update(precision=float(precision), recall=float(recall), f1=float(f1))
    return out


def _limits(baseline: dict[str, float], thresholds: MonitorThresholds) -> dict[str, float]:
    """Each baseline metric's limit: worse by the allowed share (above it for errors)."""
    out: dict[str, float] = {}
    for metric, reference in baseline.items():
        allowed = thresholds.decay_for(metric)
        lower = metric in LOWER_IS_BETTER
        out[metric] = reference * (1 + allowed) if lower else reference * (1 - allowed)
    return out


def _decayed(
    metrics: dict[str, float], baseline: dict[str, float], limits: dict[str, float]
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for metric, reference in baseline.items():
        value = metrics.get(metric)
        if value is None or not math.isfinite(value):
            continue
        limit = limits[metric]
        worse = value > limit if metric in LOWER_IS_BETTER else value < limit
        if worse:
            out[metric] = {"value": value, "baseline": reference, "limit": limit}
    return out
