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

# 2. Models in safe formats, signed (docs/models.md).
cat > train.py <<'PY'
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from shipyard.models import onnx_fast_path, save_model

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
manifest = save_model(model, "churn-model", input_example=X.head(50))
print(f"saved {manifest.flavor} model: {len(manifest.files)} files, no pickle")
fast = onnx_fast_path(model, manifest.signature, X.head(50))
print(f"ONNX fast path: {'agrees' if fast.available else fast.reason}")
PY
step python train.py
step shipyard models inspect churn-model
step shipyard keys generate
step shipyard models sign churn-model
step shipyard models verify churn-model
echo "tamper with one byte of the model, then verify again (refused, naming the file):"
printf 'x' >> churn-model/model.skops
step shipyard models verify churn-model || true

# 3. The object store: content-addressed, deduplicated, verified.
head -c 12000000 /dev/urandom > features.bin
for i in $(seq 1 200); do echo "row $i,$RANDOM" > "part-$i.csv"; done
step shipyard objects put features.bin
shipyard objects put part-*.csv > /dev/null && echo "(200 small files stored, packed together)"
step shipyard objects stats
step shipyard fsck
step shipyard gc --dry-run --grace 0s

# 4. Data quality and drift: profile the training data, draft a validation suite,
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

# 5. Dataset versioning: add, change, diff, check out an older version, push and pull.
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-Demo} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-demo@example.com}
export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-Demo} GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-demo@example.com}
mkdir -p data/images
cp train.parquet data/train.parquet
for i in $(seq 1 300); do head -c 2048 /dev/urandom > "data/images/img-$i.bin"; done
step shipyard data add data/train.parquet data/images -m "first cut"
git add -A data && git commit -qm "data v1" && echo "(committed the pointers: data v1)"
python - <<'PY'
import pandas as pd
frame = pd.read_parquet("data/train.parquet")
frame["region"] = "eu"                                   # a new column
pd.concat([frame, frame.head(5_000)]).to_parquet("data/train.parquet", index=False)  # more rows
PY
rm data/images/img-1.bin && echo changed > data/images/img-2.bin
step shipyard data status
step shipyard data add data/train.parquet data/images -m "more rows, a region column"
git add -A data && git commit -qm "data v2" && echo "(committed: data v2)"
step shipyard data diff HEAD~1 HEAD
step shipyard data log data/train.parquet
step shipyard data checkout --rev HEAD~1 data/train.parquet
python -c "import pandas as pd; print('rows now:', len(pd.read_parquet('data/train.parquet')))"
step shipyard data show data/train.parquet
step shipyard monitor drift data/train.parquet@HEAD~1 today.csv --prediction score \
    || echo "(exit $?: today's data drifted from data v1)"
step shipyard data checkout --rev HEAD data/train.parquet   # back to the newest
step shipyard remote add origin "$demo-remote"
step shipyard data push
git add .gitignore .shipyard/config.toml && git commit -qm "workspace config, data remote"
echo "(a teammate clones the repository and pulls the data)"
git clone -q . "$demo-clone" && cd "$demo-clone"
step shipyard data pull
step shipyard data status
cd "$demo"

echo
echo "Demo finished. Explore it: cd $demo"
