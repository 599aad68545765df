"""Run by the real ``mlflow`` client (bench/.venv-peers): make a store, print what it holds.

``python mlflow_store.py TRACKING_URI`` logs two experiments of runs (metric
histories, params, tags, nested artifacts, a failed run), registers a
scikit-learn model twice (skops and cloudpickle) with an alias, then prints,
as JSON, everything MLflow's own client reads back: the expected side of the
field-by-field comparison.
"""

import json
import sys

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

uri = sys.argv[1]
mlflow.set_tracking_uri(uri)
client = MlflowClient()
X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.4], [0.9, 0.1]])
y = np.array([0, 1, 0, 1])
with open("notes.txt", "w") as handle:
    handle.write("hello artifacts\n")

mlflow.set_experiment("churn")
for i, fmt in enumerate(["skops", "cloudpickle"]):
    with mlflow.start_run(run_name=f"train-{i}"):
        mlflow.log_params({"lr": 0.1 * (i + 1), "depth": 3})
        mlflow.set_tags({"team": "growth", "val/split": "0.2"})
        for step in range(50):
            mlflow.log_metric("loss", 1.0 / (step + 1 + i), step=step)
        mlflow.log_metric("val/acc", 0.5, step=3)
        mlflow.log_metric("val/acc", 0.75, step=3)  # twice at one step: both kept
        mlflow.log_artifact("notes.txt", artifact_path="docs/deep")
        mlflow.log_text("top level", "readme.md")
        model = LogisticRegression().fit(X, y)
        mlflow.sklearn.log_model(
            model, name="model", registered_model_name="churn-model", serialization_format=fmt
        )
mlflow.set_experiment("other")
with mlflow.start_run(run_name="failed-one"):
    mlflow.log_metric("x", 1.5, step=2)
    mlflow.end_run(status="FAILED")
client.set_registered_model_alias("churn-model", "champion", "1")

expected = {"runs": [], "models": []}
for experiment in client.search_experiments():
    for run in client.search_runs([experiment.experiment_id]):
        metrics = {
            key: sorted(
                (m.step, m.value, m.timestamp)
                for m in client.get_metric_history(run.info.run_id, key)
            )
            for key in run.data.metrics
        }
        files, folders = [], [""]
        while folders:
            for item in client.list_artifacts(run.info.run_id, folders.pop() or None):
                (folders if item.is_dir else files).append(item.path)
        expected["runs"].append(
            {
                "run_id": run.info.run_id,
                "experiment": experiment.name,
                "name": run.info.run_name,
                "status": run.info.status,
                "params": run.data.params,
                "tags": run.data.tags,
                "metrics": metrics,
                "artifacts": sorted(files),
            }
        )
for model in client.search_registered_models():
    versions = client.search_model_versions(f"name='{model.name}'")
    expected["models"].append(
        {
            "name": model.name,
            "aliases": dict(model.aliases),
            "versions": sorted((int(v.version), v.run_id) for v in versions),
            "predictions": {
                v.version: mlflow.pyfunc.load_model(f"models:/{model.name}/{v.version}")
                .predict(X)
                .tolist()
                for v in versions
            },
        }
    )
print(json.dumps(expected))
