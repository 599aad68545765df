"""Scoring a loaded model on a labelled data file: what evaluations and the ``beats`` gate run.

The file (CSV or Parquet) is read whole; the ``target`` column is the label,
the other columns are the model's input — in the signature's column order for
a column signature (extra columns ignored), as one float array for a tensor
signature. The input is checked against the signature first, so a file that
does not fit names the field instead of failing inside the framework.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import InvalidInput, NotFound, ShipyardError
from shipyard.core.signature import ColumnSchema

if TYPE_CHECKING:
    from shipyard.models.model_dir.loaded import LoadedModel

__all__ = [
    "LOWER_IS_BETTER",
    "METRICS",
    "LabelledData",
    "Score",
    "read_labelled",
    "score_model",
]

LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae"})
METRICS = (
    "accuracy", "f1", "precision", "recall", "roc_auc", "log_loss", "r2", "rmse", "mae",
)  # fmt: skip


@dataclass(frozen=True)
class LabelledData:
    path: str
    digest: str
    rows: int
    target: str
    features: Any
    labels: Any


@dataclass(frozen=True)
class Score:
    metrics: dict[str, float]
    data: LabelledData


def read_labelled(path: Path | str, target: str, *, label: str | None = None) -> LabelledData:
    """Read a CSV/Parquet file and split off its ``target`` column (``label``: how to name
    the file in records, default its path)."""
    import pandas as pd

    from shipyard.objects.files import digest_file

    file = Path(path)
    if not file.is_file():
        raise NotFound(f"no data file at {file}", hint="give the path of a CSV or Parquet file")
    try:
        if file.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(file)
        else:
            frame = pd.read_csv(file)
    except (OSError, ValueError, ImportError) as exc:
        raise InvalidInput(f"cannot read {file} as CSV or Parquet: {exc}") from None
    if target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:12]))
        raise InvalidInput(f"{file} has no target column {target!r}", hint=f"its columns: {shown}")
    if frame.empty:
        raise InvalidInput(f"{file} holds no rows to evaluate on")
    return LabelledData(
        path=label or str(path),
        digest=digest_file(file).digest.hex,
        rows=len(frame),
        target=target,
        features=frame.drop(columns=[target]),
        labels=frame[target].to_numpy(),
    )


def model_input(model: LoadedModel, features: Any) -> Any:
    """The features shaped as the model's signature wants them, checked against it."""
    signature = model.signature
    if signature is None:
        return features
    if isinstance(signature.inputs, ColumnSchema):
        names = [c.name for c in signature.inputs.columns]
        missing = [n for n in names if n not in features.columns]
        if missing:
            from shipyard.core.errors import SignatureMismatch

            raise SignatureMismatch(
                f"the data has no column {missing[0]!r}, which the model's signature needs",
                field=missing[0],
            )
        data = features[names]
    else:
        data = features.to_numpy()
    assert model.validator is not None
    model.validator.validate(data)
    return data


def score_model(
    model: LoadedModel, data: LabelledData, metrics: Sequence[str] | None = None
) -> Score:
    """The model's metrics on ``data``; classification or regression chosen by the labels."""
    import numpy as np

    wanted = list(metrics) if metrics else []
    unknown = [m for m in wanted if m not in METRICS]
    if unknown:
        raise InvalidInput(f"unknown metric {unknown[0]!r}", hint=f"known: {', '.join(METRICS)}")
    features = model_input(model, data.features)
    try:
        predicted = np.asarray(model.predict(features))
    except ShipyardError:
        raise
    except Exception as exc:  # whatever the framework raises
        raise InvalidInput(
            f"the model cannot predict on {data.path}: {type(exc).__name__}: {exc}"
        ) from exc
    labels = np.asarray(data.labels)
    few = len(np.unique(labels)) <= max(20, len(labels) // 10)
    if labels.dtype.kind == "f" and few and np.all(np.mod(labels, 1) == 0):
        labels = labels.astype(np.int64)  # 0.0/1.0 read from a CSV: class labels
    classification = labels.dtype.kind in "biuOSU" and few
    found: dict[str, float] = {}
    if classification:
        _classification(model, features, labels, predicted, found)
    else:
        _regression(labels, predicted, found)
    if wanted:
        missing = [m for m in wanted if m not in found]
        if missing:
            kind = "classification" if classification else "regression"
            raise InvalidInput(
                f"metric {missing[0]!r} cannot be computed for this {kind} model on {data.path}"
            )
        found = {m: found[m] for m in wanted}
    return Score(found, data)


def _classification(
    model: LoadedModel, features: Any, labels: Any, predicted: Any, found: dict[str, float]
) -> None:
    from sklearn import metrics

    classes = set(labels.tolist()) | set(predicted.tolist())
    binary = len(classes) <= 2
    # "binary" scores the positive class 1; other labels (strings…) average by support.
    average = "binary" if binary and classes <= {0, 1} else "weighted"
    _add(found, "accuracy", lambda: metrics.accuracy_score(labels, predicted))
    for name, scorer in (
        ("f1", metrics.f1_score),
        ("precision", metrics.precision_score),
        ("recall", metrics.recall_score),
    ):
        compute = functools.partial(scorer, labels, predicted, average=average, zero_division=0)
        _add(found, name, compute)
    try:
        proba = model.predict_proba(features)
    except Exception:
        return
    if binary and getattr(proba, "ndim", 1) == 2 and proba.shape[1] == 2:
        _add(found, "roc_auc", lambda: metrics.roc_auc_score(labels, proba[:, 1]))
    _add(found, "log_loss", lambda: metrics.log_loss(labels, proba))


def _regression(labels: Any, predicted: Any, found: dict[str, float]) -> None:
    from sklearn import metrics

    _add(found, "r2", lambda: metrics.r2_score(labels, predicted))
    _add(found, "rmse", lambda: metrics.mean_squared_error(labels, predicted) ** 0.5)
    _add(found, "mae", lambda: metrics.mean_absolute_error(labels, predicted))


def _add(found: dict[str, float], name: str, compute: Callable[[], Any]) -> None:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(compute())
    except (ValueError, TypeError):
        return
    if math.isfinite(value):
        found[name] = value
