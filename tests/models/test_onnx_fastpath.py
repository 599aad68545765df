"""The ONNX fast path agrees with scikit-learn or says why it declines."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from shipyard.models import infer_signature, onnx_fast_path
from shipyard.models.onnx_fastpath import single_row_latency


def test_a_pipeline_on_arrays_converts_and_agrees(array_model: Any, cancer_arrays: Any) -> None:
    X, _ = cancer_arrays
    example = X[:100]
    fast = onnx_fast_path(
        array_model, infer_signature(example, array_model.predict(example)), example
    )
    assert fast.available, fast.reason
    assert fast.model is not None
    assert fast.input_dtype == "float32"
    np.testing.assert_array_equal(fast.model.predict(X), array_model.predict(X))
    np.testing.assert_allclose(fast.model.predict_proba(X), array_model.predict_proba(X), atol=1e-4)
    assert fast.max_probability_difference is not None
    assert fast.max_probability_difference <= 1e-4


def test_a_pipeline_on_a_dataframe_takes_rows_as_frames_or_columns(
    frame_pipeline: Any, cancer_frame: Any
) -> None:
    X, _ = cancer_frame
    example = X.head(50)
    fast = onnx_fast_path(frame_pipeline, infer_signature(example), example)
    assert fast.model is not None, fast.reason
    shuffled = X[list(reversed(X.columns))]  # column order comes from the signature
    np.testing.assert_array_equal(fast.model.predict(shuffled), frame_pipeline.predict(X))
    row = {name: [X[name].iloc[0]] for name in X.columns}
    assert fast.model.predict(row).tolist() == frame_pipeline.predict(X.head(1)).tolist()


def test_mixed_columns_use_one_onnx_input_per_column() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"amount": rng.normal(size=200), "plan": rng.choice(["a", "b", "c"], size=200)}
    )
    labels = (frame["amount"] > 0).astype(int) ^ (frame["plan"] == "c").astype(int)
    model = make_pipeline(
        make_column_transformer((StandardScaler(), ["amount"]), (OneHotEncoder(), ["plan"])),
        LogisticRegression(),
    ).fit(frame, labels)
    fast = onnx_fast_path(model, infer_signature(frame), frame)
    assert fast.model is not None, fast.reason
    assert fast.model.input_names == ["amount", "plan"]
    np.testing.assert_array_equal(fast.model.predict(frame), model.predict(frame))


def test_it_declines_with_a_reason() -> None:
    class Custom:
        def predict(self, data: Any) -> Any:
            return data

    declined = onnx_fast_path(Custom(), None, None)
    assert not declined.available
    assert "not a scikit-learn estimator" in (declined.reason or "")
    fitted = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    assert "no signature" in (onnx_fast_path(fitted, None, None).reason or "")


def test_an_unconvertible_estimator_is_declined_not_raised() -> None:
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.semi_supervised import SelfTrainingClassifier

    X = np.random.default_rng(1).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    y[:5] = -1  # unlabeled rows, as self-training expects
    model = SelfTrainingClassifier(KNeighborsClassifier()).fit(X, y)
    declined = onnx_fast_path(model, infer_signature(X), X)
    assert not declined.available
    assert "skl2onnx cannot convert it" in (declined.reason or "")


def test_latency_is_measured_per_call() -> None:
    calls = []
    seconds = single_row_latency(calls.append, 1, seconds=0.01)
    assert seconds > 0
    assert len(calls) >= 20 + 5 * 50
