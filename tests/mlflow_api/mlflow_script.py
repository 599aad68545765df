"""An unchanged MLflow training script, run by the real ``mlflow`` client (bench/.venv-peers).

Reads MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_TOKEN) like any MLflow script; prints
what the client reads back as one JSON document, so two servers can be compared.
Usage: python mlflow_script.py WORKDIR
"""

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

work = sys.argv[1]
os.makedirs(os.path.join(work, "plots"), exist_ok=True)
with open(os.path.join(work, "notes.txt"), "w") as f:
    f.write("hello from mlflow\n")
for name in ("a.txt", "b.txt"):
    with open(os.path.join(work, "plots", name), "w") as f:
        f.write(name * 10)

X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1], [0.1, 0.8], [0.7, 0.2]])
y = np.array([0, 1, 0, 1, 0, 1])
frame = pd.DataFrame(X, columns=["f0", "f1"]).assign(label=y)

mlflow.set_experiment("churn-mlflow")
with mlflow.start_run(run_name="lr") as run:
    mlflow.log_param("C", 0.5)
    mlflow.log_params({"solver": "lbfgs", "max_iter": 50})
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metrics({"accuracy": 0.83, "f1": 0.8})
    mlflow.set_tag("team", "growth")
    mlflow.log_artifact(os.path.join(work, "notes.txt"))
    mlflow.log_artifacts(os.path.join(work, "plots"), artifact_path="plots")
    mlflow.log_input(mlflow.data.from_pandas(frame, name="train"), context="training")
    model = LogisticRegression(C=0.5, max_iter=50).fit(X, y)
    info = mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
    run_id = run.info.run_id

version = mlflow.register_model(info.model_uri, "churn-model")
client = MlflowClient()
client.set_registered_model_alias("churn-model", "champion", version.version)
by_alias = client.get_model_version_by_alias("churn-model", "champion")
found = mlflow.search_runs(
    experiment_names=["churn-mlflow"],
    filter_string="metrics.accuracy > 0.5",
    output_format="list",
)
loaded = mlflow.pyfunc.load_model("models:/churn-model@champion")
got = client.get_run(run_id)
history = client.get_metric_history(run_id, "loss")
listed = sorted(a.path for a in client.list_artifacts(run_id))
plots = sorted(a.path for a in client.list_artifacts(run_id, "plots"))
with open(client.download_artifacts(run_id, "notes.txt", work + "/dl")) as f:
    notes = f.read()
dataset = got.inputs.dataset_inputs[0] if got.inputs.dataset_inputs else None
print(
    json.dumps(
        {
            "run_id": run_id,
            "run_name": got.info.run_name,
            "status": got.info.status,
            "params": got.data.params,
            "metrics": got.data.metrics,
            "tags": {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.")},
            "history": [(m.step, m.value) for m in history],
            "artifacts": listed,
            "plots": plots,
            "notes": notes,
            "dataset": None
            if dataset is None
            else {
                "name": dataset.dataset.name,
                "digest": dataset.dataset.digest,
                "source_type": dataset.dataset.source_type,
                "context": {t.key: t.value for t in dataset.tags}.get("mlflow.data.context"),
            },
            "version": version.version,
            "alias_version": by_alias.version,
            "alias_name": by_alias.name,
            "searched": [r.info.run_id for r in found],
            "prediction": [int(v) for v in loaded.predict(X)],
        }
    )
)
