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

# 6. The model registry: versions, promotion gates, a model card, rollback (docs/models.md).
cat >> .shipyard/config.toml <<'TOML'

[gates.staging]
metrics = { accuracy = ">= 0.8" }
signature_valid = true

[gates.production]
metrics = { accuracy = ">= 0.8" }
beats = { data = "data/holdout.csv", target = "churned", metric = "f1", min_delta = 0.0 }
latency = { p99_ms = 50 }
card_complete = true
signature_valid = true
approval = true
TOML
step shipyard run -e churn -n lr-v1 -- python train.py --model lr --C 0.01 --register churn
step shipyard run -e churn -n lr-v2 -- python train.py --model lr --C 1.0 --register churn
step shipyard models alias set churn production 1 --reason "first launch"
step shipyard models ls
step shipyard models show churn/2
step shipyard models promote churn 2 --to staging
echo "production asks for more: a written model card and a maintainer's approval (refused, exit 2):"
step shipyard models promote churn 2 --to production || echo "(exit $?: churn@production stays at v1)"
step shipyard models describe churn \
    --overview "Predicts which customers cancel within 30 days." \
    --intended-use "Ranking accounts for the retention team's weekly outreach." \
    --limitations $'- Trained on synthetic data\n- Not evaluated on enterprise accounts' \
    --ethical-considerations "Scores must never be used to deny or degrade service."
step shipyard models approve churn 2 --for production --note "reviewed the holdout results"
step shipyard models promote churn 2 --to production --reason "better f1 on the holdout"
python -c 'import shipyard; m = shipyard.load_model("models:/churn@production"); print(f"loaded {m.uri}: signed, every file verified")'
step shipyard models card churn@production --format html -o model-card.html
shipyard models card churn@production | sed -n '1,12p'
step shipyard models rollback churn production --reason "complaints from the retention team"
step shipyard models alias history churn production
step shipyard ci init --github --model churn --train "python train.py --register churn"

# 7. Serving (docs/serving.md): the model of chapter 2 over both protocols, then /metrics.
truncate -s -1 churn-model/model.skops      # undo chapter 2's tampering
step shipyard models verify churn-model
port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "\$ shipyard serve churn=churn-model --port $port --preload --log-rate 1 &"
shipyard serve churn=churn-model --port "$port" --preload --log-rate 1 > serve.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
python - "$port" <<'PY'
import json, sys, time, urllib.error, urllib.request
from sklearn.datasets import load_breast_cancer

base = f"http://127.0.0.1:{sys.argv[1]}"
def call(path, body=None, media="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data, {"content-type": media})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())
for _ in range(300):                            # at most a minute for the model to load
    try:
        if call("/v2/health/ready")[0] == 200:
            break
    except OSError:
        time.sleep(0.2)
X = load_breast_cancer(as_frame=True).data
split = {"columns": list(X.columns), "data": X.head(3).to_numpy().tolist()}
status, headers, answer = call("/invocations", {"dataframe_split": split})
print(f"MLflow protocol  POST /invocations -> {status} {answer}  (version {headers['x-model-version']})")
tensor = {"inputs": [{"name": "x", "shape": [3, 30], "datatype": "FP64",
                      "data": X.head(3).to_numpy().ravel().tolist()}]}
status, _, answer = call("/v2/models/churn/infer", tensor)
print(f"Open Inference   POST /v2/models/churn/infer -> {status} {answer['outputs'][0]['data']}")
meta = call("/v2/models/churn")[2]
print(f"served by {meta['platform']}; ONNX fast path: {meta['parameters']['onnx_fast_path']['available']}")
broken = {"dataframe_split": {"columns": split["columns"][1:], "data": [r[1:] for r in split["data"]]}}
status, _, answer = call("/invocations", broken)
print(f"a missing column -> {status} {answer['message'][:60]}…")
rid = headers["x-request-id"]
status, _, answer = call("/v2/models/churn/feedback", {"request_id": rid, "labels": [0, 0, 0]})
print(f"ground truth for {rid} -> {status} {answer}")
PY
echo "\$ curl http://127.0.0.1:$port/metrics   (a few lines)"
python -c "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())" \
    "http://127.0.0.1:$port/metrics" |
    grep -E '^shipyard_serving_(requests_total|loaded_models|cold_start_seconds_count|batch_requests_count|model_load_seconds_sum)' || true
kill -INT "$server"; wait "$server" || true  # stopping flushes the inference log
trap - EXIT
python - <<'PY'
from shipyard import open_context
from shipyard.serving.log_store import read_log
with open_context() as ctx:
    log = read_log(ctx, "churn")
print(f"inference log: {log.num_rows} records in the object store, e.g.",
      {k: log.column(k)[0].as_py() for k in ("_request_id", "_prediction", "mean radius")})
PY

echo
echo "Demo finished. Explore it: cd $demo"
