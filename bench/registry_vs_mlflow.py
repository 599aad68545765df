"""Model registry: Shipyard vs MLflow's model registry, both on SQLite files in a temp folder.

Measures, in one run, with a StandardScaler + LogisticRegression pipeline on
load_breast_cancer (signature and input example stored by both):

1. registering a version from inside a run (save, store, register), ms per version
   (Shipyard also with signing, which MLflow does not do; MLflow also with its pip
   requirements given, which skips the subprocess it starts to infer them);
2. loading ``models:/churn@production`` into a model that predicts, ms per load
   (Shipyard verifies every file's digest on each load; MLflow checks nothing);
3. asking which version an alias points at (what a server polls), µs per call;
4. moving an alias (Shipyard also writes the event and the audit entry), ms per move.

MLflow runs in bench/.venv-peers as a subprocess; Shipyard in this interpreter.

    .venv/bin/python bench/registry_vs_mlflow.py [--versions 20] [--loads 20] [--polls 500]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import print_table, ratio, run_peer_python

MLFLOW = r"""
import json, logging, os, statistics, sys, tempfile, time, warnings
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
import mlflow, mlflow.sklearn, mlflow.pyfunc
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

versions, loads, polls = (int(a) for a in sys.argv[1:4])
folder = tempfile.mkdtemp()
os.chdir(folder)
mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
mlflow.set_experiment("bench")
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
signature = infer_signature(X, model.predict(X))
client = MlflowClient()
out = {}

times = []
for i in range(versions):
    start = time.perf_counter()
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", registered_model_name="churn",
                                 signature=signature, input_example=X.head(20))
    times.append(time.perf_counter() - start)
out["register_ms"] = statistics.median(times) * 1000
times = []
for i in range(max(3, versions // 2)):  # requirements given: no inference subprocess
    start = time.perf_counter()
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", registered_model_name="churn",
                                 signature=signature, input_example=X.head(20),
                                 pip_requirements=["scikit-learn"])
    times.append(time.perf_counter() - start)
out["register_fast_ms"] = statistics.median(times) * 1000
client.set_registered_model_alias("churn", "production", "1")

mlflow.pyfunc.load_model("models:/churn@production")  # warm-up
times = []
for _ in range(loads):
    start = time.perf_counter()
    loaded = mlflow.pyfunc.load_model("models:/churn@production")
    loaded.predict(X.head(1))
    times.append(time.perf_counter() - start)
out["load_ms"] = statistics.median(times) * 1000

start = time.perf_counter()
for _ in range(polls):
    client.get_model_version_by_alias("churn", "production").version
out["poll_us"] = (time.perf_counter() - start) / polls * 1e6

moves = min(polls, 200)
start = time.perf_counter()
for i in range(moves):
    client.set_registered_model_alias("churn", "production", str(1 + i % 2 + 1))
out["move_ms"] = (time.perf_counter() - start) / moves * 1000
print(json.dumps(out))
"""


def shipyard_figures(versions: int, loads: int, polls: int) -> dict[str, float]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import shipyard
    from shipyard.models.signing.keys import generate_keys
    from shipyard.registry import alias_version
    from shipyard.registry.aliases import AliasService
    from shipyard.workspace.create import init_workspace

    folder = Path(tempfile.mkdtemp())
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    init_workspace(folder, shipyard.open_context(folder).principal, project="bench")
    os.chdir(folder)
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    out: dict[str, float] = {}

    def register(count: int) -> float:
        times = []
        for _ in range(count):
            start = time.perf_counter()
            with shipyard.start_run(experiment="bench") as run:
                run.log_model(model, "churn", input_example=X.head(20))
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    out["register_ms"] = register(versions)
    generate_keys(folder / ".shipyard" / "keys")
    out["register_signed_ms"] = register(max(3, versions // 2))
    with shipyard.open_context() as ctx:
        aliases = AliasService(ctx.db)
        aliases.set_alias(ctx.principal, ctx.project, "churn", "production", versions + 1)
        shipyard.load_model("models:/churn@production", context=ctx)  # fills the cache
        times = []
        for _ in range(loads):
            start = time.perf_counter()
            loaded = shipyard.load_model("models:/churn@production", context=ctx)
            loaded.predict(X.head(1))
            times.append(time.perf_counter() - start)
        out["load_ms"] = statistics.median(times) * 1000
        start = time.perf_counter()
        for _ in range(polls):
            alias_version(ctx, "churn", "production")
        out["poll_us"] = (time.perf_counter() - start) / polls * 1e6
        moves = min(polls, 200)
        start = time.perf_counter()
        for i in range(moves):
            aliases.set_alias(ctx.principal, ctx.project, "churn", "production", 2 + i % 2)
        out["move_ms"] = (time.perf_counter() - start) / moves * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--polls", type=int, default=500)
    args = parser.parse_args()
    theirs = json.loads(
        run_peer_python(MLFLOW, str(args.versions), str(args.loads), str(args.polls))
    )
    ours = shipyard_figures(args.versions, args.loads, args.polls)
    rows = [
        ("register a version (in a run)", "ms", ours["register_ms"], theirs["register_ms"]),
        (
            "  … MLflow told its pip requirements",
            "ms",
            ours["register_ms"],
            theirs["register_fast_ms"],
        ),
        ("  … and sign it (Shipyard only)", "ms", ours["register_signed_ms"], None),
        ("load models:/churn@production + 1 predict", "ms", ours["load_ms"], theirs["load_ms"]),
        ("which version is @production (poll)", "µs", ours["poll_us"], theirs["poll_us"]),
        ("move an alias", "ms", ours["move_ms"], theirs["move_ms"]),
    ]
    print_table(
        ["measure", "unit", "Shipyard", "MLflow", "Shipyard vs MLflow"],
        [
            (
                name,
                unit,
                f"{mine:,.1f}",
                "—" if other is None else f"{other:,.1f}",
                "" if other is None else ratio(mine, other, higher_is_better=False),
            )
            for name, unit, mine, other in rows
        ],
    )


if __name__ == "__main__":
    main()
