#!/usr/bin/env bash
# The Shipyard tour, on the embedded default (SQLite + a local object folder).
# Each capability adds its chapter here.
set -euo pipefail

step() { printf '\n\033[1;36m$ %s\033[0m\n' "$*"; "$@"; }

demo=$(mktemp -d "${TMPDIR:-/tmp}/shipyard-demo.XXXXXX")
cd "$demo"
git init -q .
echo "Demo repository: $demo"

# 1. A workspace in a git repository.
step shipyard init --project churn
step shipyard status
step shipyard doctor

# Data quality and drift: profile the training data, draft a validation suite,
# then check a day of shifted live data against both.
python - <<'PY'
import numpy as np, pandas as pd
rng = np.random.default_rng(7)
def frame(n, shift):
    return pd.DataFrame({
        "age": rng.integers(18, 80, n) + int(10 * shift),
        "income": rng.lognormal(10 + shift, 0.5, n).round(2),
        "plan": rng.choice(["basic", "pro", "team"], n, p=[0.6 - 0.3 * shift, 0.3, 0.1 + 0.3 * shift]),
        "tenure": rng.exponential(24, n).round(1),
        "score": rng.beta(2, 5 - 2 * shift, n).round(4),
    })
frame(50_000, 0.0).to_parquet("train.parquet")
today = frame(5_000, 1.0)
today.loc[:99, "plan"] = "enterprise"      # a category training never saw
today.to_csv("today.csv", index=False)
PY
step shipyard monitor profile train.parquet -o train.profile.json
step shipyard validate infer train.parquet -o suite.yaml
step shipyard validate run suite.yaml today.csv || echo "(exit $?: the live data breaks the suite)"
step shipyard monitor drift train.profile.json today.csv --prediction score \
    --html drift.html --json drift.json || echo "(exit $?: drift detected; see drift.html)"

echo
echo "Demo finished. Explore it: cd $demo"
