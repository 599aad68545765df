"""Single-row predict latency: Shipyard's checked ONNX fast path vs scikit-learn vs MLflow.

Trains a StandardScaler + LogisticRegression pipeline on load_breast_cancer and
measures, in the same run, the median seconds of one single-row prediction:

- scikit-learn's ``predict`` on a 1-row DataFrame and on a 1×30 array;
- Shipyard's fast path (``onnx_fast_path``): the wrapper, and the bare session;
- Shipyard's ``SignatureValidator`` on one JSON-like row (what serving adds);
- MLflow's ``pyfunc`` ``predict`` on a 1-row DataFrame (schema enforcement included),
  measured in the peers' venv.

Run: ``.venv/bin/python bench/onnx_fastpath.py``
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from _common import print_table, ratio, run_peer_python
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from shipyard.models import infer_signature, onnx_fast_path, signature_validator
from shipyard.models.onnx_fastpath import single_row_latency

PEER = """
import json, statistics, sys, time
import mlflow.pyfunc, mlflow.sklearn, pandas as pd
from mlflow.models import infer_signature
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
path = sys.argv[1] + "/mlflow-model"
mlflow.sklearn.save_model(model, path, signature=infer_signature(X, model.predict(X)))
pyfunc = mlflow.pyfunc.load_model(path)
row = X.head(1)
for _ in range(50):
    pyfunc.predict(row)
samples = []
deadline = time.perf_counter() + 2.0
while time.perf_counter() < deadline or len(samples) < 5:
    start = time.perf_counter()
    for _ in range(20):
        pyfunc.predict(row)
    samples.append((time.perf_counter() - start) / 20)
print(json.dumps({"pyfunc": statistics.median(samples)}))
"""


def main() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    example = X.head(100)
    signature = infer_signature(example, model.predict(example))
    fast = onnx_fast_path(model, signature, example)
    if fast.model is None:
        raise SystemExit(f"no fast path: {fast.reason}")
    row_frame = X.head(1)
    row_array = row_frame.to_numpy()
    row32 = row_array.astype(np.float32)
    session, name = fast.model.session, fast.model.input_names[0]
    label = [fast.model.output_names[0]]
    validator = signature_validator(signature)
    row_json = {c: [float(v)] for c, v in zip(X.columns, row_array[0], strict=True)}

    sklearn_frame = single_row_latency(model.predict, row_frame, seconds=2)
    array_model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X.to_numpy(), y)
    sklearn_array = single_row_latency(array_model.predict, row_array, seconds=2)
    wrapper = single_row_latency(fast.model.predict, row_array, seconds=2)
    bare = single_row_latency(lambda r: session.run(label, {name: r}), row32, seconds=2)
    validate = single_row_latency(validator.validate, row_json, seconds=1)
    with tempfile.TemporaryDirectory() as folder:
        peer = json.loads(run_peer_python(PEER, str(Path(folder))).strip().splitlines()[-1])
    pyfunc = peer["pyfunc"]

    rows = [
        ["MLflow pyfunc predict (1-row DataFrame)", f"{pyfunc * 1e6:,.1f}", "1.0×"],
        ["scikit-learn predict (1-row DataFrame)", f"{sklearn_frame * 1e6:,.1f}",
         ratio(sklearn_frame, pyfunc, higher_is_better=False)],
        ["scikit-learn predict (1×30 array)", f"{sklearn_array * 1e6:,.1f}",
         ratio(sklearn_array, pyfunc, higher_is_better=False)],
        ["Shipyard ONNX fast path (wrapper, array)", f"{wrapper * 1e6:,.1f}",
         ratio(wrapper, pyfunc, higher_is_better=False)],
        ["Shipyard ONNX fast path (bare session.run)", f"{bare * 1e6:,.1f}",
         ratio(bare, pyfunc, higher_is_better=False)],
        ["Shipyard signature validation (30 columns)", f"{validate * 1e6:,.1f}", ""],
    ]  # fmt: skip
    print(f"fast path: float input {fast.input_dtype}, max probability difference "
          f"{fast.max_probability_difference:.1e}")  # fmt: skip
    print_table(["single-row predict", "µs (median)", "vs MLflow"], rows)


if __name__ == "__main__":
    main()
