"""A tiny churn model, tracked with Shipyard (used by examples/demo.sh).

    shipyard run -e churn -- python train.py --model lr --C 0.5
    shipyard run -e churn -- python train.py --model lr --C 0.5 --register churn

With ``--register`` the fitted model becomes the next version of that registered
model (run.log_model), and the held-out rows are kept in data/holdout.csv for
the promotion gates to score versions on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

import shipyard
import shipyard.sklearn

parser = argparse.ArgumentParser()
parser.add_argument("--model", choices=["lr", "forest"], default="lr")
parser.add_argument("--C", type=float, default=1.0)
parser.add_argument("--trees", type=int, default=50)
parser.add_argument("--register", metavar="NAME", help="Register the model under this name.")
args = parser.parse_args()

data = Path("data/churn.csv")
if not data.exists():  # a synthetic, fixed data set stands in for the real one
    X, y = make_classification(n_samples=2000, n_features=12, weights=[0.8], random_state=7)
    data.parent.mkdir(exist_ok=True)
    np.savetxt(data, np.column_stack([X, y]), delimiter=",", fmt="%.6f")
table = np.loadtxt(data, delimiter=",")
X, y = table[:, :-1], table[:, -1].astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

shipyard.sklearn.autolog()  # estimator params and training metrics, for free
with shipyard.start_run() as run:  # inside `shipyard run`, this is that run
    run.log_input(data)
    run.log_param("model", args.model)
    if args.model == "lr":
        model = LogisticRegression(C=args.C, max_iter=1000)
    else:
        model = RandomForestClassifier(n_estimators=args.trees, random_state=0)
    model.fit(X_train, y_train)
    predicted = model.predict(X_test)
    run.log_metrics(
        {
            "accuracy": accuracy_score(y_test, predicted),
            "f1": f1_score(y_test, predicted),
            "roc_auc": roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]),
        }
    )
    print(f"{args.model}: accuracy {accuracy_score(y_test, predicted):.3f}")
    if args.register:
        version = run.log_model(model, args.register, input_example=X_train[:20])
        print(f"registered {version.uri} ({'signed' if version.signed else 'unsigned'})")
        holdout = Path("data/holdout.csv")
        if not holdout.exists():
            header = ",".join([f"f{i}" for i in range(X.shape[1])] + ["churned"])
            rows = np.column_stack([X_test, y_test])
            formats = ["%.6f"] * X.shape[1] + ["%d"]
            np.savetxt(holdout, rows, delimiter=",", fmt=formats, header=header, comments="")
