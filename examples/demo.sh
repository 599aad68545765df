#!/usr/bin/env bash
# The Shipyard tour, on the embedded default (SQLite + a local object folder).
# Each capability adds its chapter here.
set -euo pipefail

step() { printf '\n\033[1;36m$ %s\033[0m\n' "$*"; "$@"; }
examples=$(cd "$(dirname "$0")" && pwd)

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

# 5. Tracked training runs: params, metrics, data lineage, git state, cost; then compare.
cp "$examples/train.py" train.py
git add train.py .gitignore .shipyard/config.toml
git -c user.name=Demo -c user.email=demo@example.com commit -qm "churn model"
step shipyard run -e churn -n lr-C0.1 -- python train.py --model lr --C 0.1
step shipyard run -e churn -n lr-C10 -- python train.py --model lr --C 10
step shipyard run -e churn -n forest -- python train.py --model forest --trees 100
step shipyard runs ls -e churn --order-by "metrics.f1 desc"
step shipyard runs ls -e churn --filter "metrics.accuracy > 0.8 and params.model = 'lr'"
best=$(shipyard runs ls -e churn --order-by "metrics.f1 desc" --limit 3 --json |
    python -c 'import json, sys; print(" ".join(r["id"] for r in json.load(sys.stdin)["runs"]))')
# shellcheck disable=SC2086
step shipyard runs compare --diff $best
step shipyard runs show "${best%% *}"
step shipyard experiments ls
printf '\n\033[1;36m$ shipyard runs ls --filter "metrics.f1 > and"\033[0m  (a typo)\n'
shipyard runs ls --filter "metrics.f1 > and" || true

# 6. A team server: users, tokens and roles, runs logged remotely, the audit log.
# (On SQLite in the demo folder; a real deployment uses PostgreSQL and S3: docs/deploy.md.)
team_db="sqlite:///$demo/team.db"
step shipyard --uri "$team_db" users add root --role admin --no-password
step shipyard --uri "$team_db" users add ann --role contributor --project churn --no-password
admin_token=$(shipyard --uri "$team_db" tokens create --user root --name demo --expires 1h 2>/dev/null | tail -n 1)
ann_token=$(shipyard --uri "$team_db" tokens create --user ann --name laptop --expires 1h 2>/dev/null | tail -n 1)
port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '\n\033[1;36m$ shipyard server --db %s --store %s --port %s &\033[0m\n' "$team_db" "$demo/team-objects" "$port"
shipyard server --db "$team_db" --store "$demo/team-objects" --port "$port" > team-server.log 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do  # at most 20 s
    python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/health', timeout=1)" \
        2>/dev/null && break
    sleep 0.2
done
(
    # What a data scientist's laptop (or a CI job) sets to work against the server.
    export SHIPYARD_URI="http://127.0.0.1:$port" SHIPYARD_TOKEN="$ann_token"
    step shipyard whoami
    step shipyard run -e churn -n remote-lr -- python train.py --model lr --C 1
    step shipyard runs ls -e churn --order-by "metrics.f1 desc" --limit 2
    echo "ann is a contributor, not an admin: reading the audit log is refused (and audited):"
    step shipyard audit ls || true
)
(
    export SHIPYARD_URI="http://127.0.0.1:$port" SHIPYARD_TOKEN="$admin_token"
    step shipyard audit ls --since 1h --limit 8
    step shipyard audit verify
)
kill -INT "$server_pid"
wait "$server_pid" 2>/dev/null || true
trap - EXIT
echo "(team server stopped)"

echo
echo "Demo finished. Explore it: cd $demo"
