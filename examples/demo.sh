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

# 8. Live monitoring (docs/monitoring.md): the served model's traffic shifts; a monitor finds
# the drift and the decay, posts to a webhook, runs a retraining command, and /metrics shows it.
python - <<'PY'
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, f1_score
from shipyard.models import load_model
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X.assign(target=y).to_parquet("cancer-train.parquet")      # what the model was trained on
guess = load_model("churn-model").predict(X)
with open("baseline.toml", "w") as out:                    # the metrics recorded at training
    out.write(f"baseline = {{ accuracy = {accuracy_score(y, guess):.4f}, f1 = {f1_score(y, guess):.4f} }}\n")
PY
shipyard monitor profile cancer-train.parquet -o cancer.profile.json > /dev/null &&
    echo "(the reference: cancer.profile.json, the training data's profile)"
cat > retrain.py <<'PY'
import json, os
result = json.load(open(os.environ["SHIPYARD_MONITOR_REPORT"]))
print(f"retraining {result['model']} because of: {os.environ['SHIPYARD_MONITOR_BREACHES']}")
PY
cat >> .shipyard/config.toml <<'TOML'

[monitors.churn]
model = "churn"
window = "1h"
reference = "cancer.profile.json"
prediction = "target"                     # the reference column the model's outputs compare with
webhooks = ["env:DEMO_WEBHOOK"]           # Slack-compatible; env: keeps the secret out of git
on_breach = ["python", "retrain.py"]
interval = "1h"
TOML
cat baseline.toml >> .shipyard/config.toml
printf '[monitors.churn.thresholds]\nperformance_decay = 0.02\n' >> .shipyard/config.toml
echo "(appended [monitors.churn] to .shipyard/config.toml)"
# a tiny webhook receiver standing in for Slack
hook_port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python - "$hook_port" > webhook.log 2>&1 <<'PY' &
import http.server, json, sys
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        print("webhook received:", body["text"], flush=True)
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
PY
receiver=$!
export DEMO_WEBHOOK="http://127.0.0.1:$hook_port/services/T000/B000/XXXX"
shipyard serve churn=churn-model --port "$port" --log-rate 1 > serve.log 2>&1 &
server=$!
trap 'kill "$server" "$receiver" 2>/dev/null || true' EXIT
python - "$port" <<'PY'
import json, sys, time, urllib.request
from sklearn.datasets import load_breast_cancer
base = f"http://127.0.0.1:{sys.argv[1]}"
def post(path, body):
    request = urllib.request.Request(base + path, json.dumps(body).encode(),
                                     {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.headers["x-request-id"], json.loads(response.read())
for _ in range(300):
    try:
        urllib.request.urlopen(base + "/v2/health/ready", timeout=5); break
    except OSError:
        time.sleep(0.2)
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
live = X.sample(400, random_state=1, replace=True)
live[["mean radius", "mean texture", "worst area", "worst concave points"]] *= 1.35  # the shift
truth = y.loc[live.index].to_numpy()
for start in range(0, 400, 10):
    part = live.iloc[start:start + 10]
    rid, _ = post("/invocations", {"dataframe_split": {"columns": list(part.columns),
                                                        "data": part.to_numpy().tolist()}})
    post("/v2/models/churn/feedback", {"request_id": rid, "labels": truth[start:start + 10].tolist()})
print("sent 400 shifted rows in 40 requests, and their ground-truth labels")
PY
kill -INT "$server"; wait "$server" || true   # stopping flushes the inference log
step shipyard monitor run churn --html monitor.html --json monitor.json ||
    echo "(exit $?: thresholds crossed; monitor.html is the report, $(wc -c < monitor.html) bytes)"
sleep 0.5; cat webhook.log
step shipyard audit ls --since 10m
step shipyard monitor status
echo "\$ shipyard serve churn=churn-model &   then: curl /metrics | grep shipyard_monitor_"
shipyard serve churn=churn-model --port "$port" > serve.log 2>&1 &
server=$!
python - "http://127.0.0.1:$port/metrics" <<'PY' | tee metrics.txt
import sys, time, urllib.request
for _ in range(300):
    try:
        text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(); break
    except OSError:
        time.sleep(0.2)
for line in text.splitlines():
    if line.startswith(("shipyard_monitor_dataset_drift", "shipyard_monitor_share_drifted",
                        "shipyard_monitor_performance{", "shipyard_monitor_breach{")):
        print(line)
PY
kill -INT "$server"; wait "$server" || true
kill "$receiver" 2>/dev/null || true
trap - EXIT
if command -v promtool >/dev/null; then
    # Prometheus's own rule engine, fed the gauges just scraped: which alerts fire?
    cp "$examples/../deploy/prometheus/alerts.yml" alerts.yml
    python - <<'PY'
import re, yaml
series = []
for line in open("metrics.txt"):
    name_labels, value = line.rsplit(" ", 1)
    series.append({"series": name_labels, "values": f"{float(value):g}x5"})
drift = next(s["series"] for s in series if s["series"].startswith("shipyard_monitor_dataset_drift"))
labels = dict(re.findall(r'(\w+)="([^"]*)"', drift))
test = {"rule_files": ["alerts.yml"], "evaluation_interval": "1m", "tests": [{
    "interval": "1m", "input_series": series,
    "alert_rule_test": [{"eval_time": "2m", "alertname": "ShipyardDataDrift", "exp_alerts": [{
        "exp_labels": {**labels, "severity": "warning"},
        "exp_annotations": {
            "summary": f"Data drift on {labels['model']} (monitor {labels['monitor']})",
            "description": f"The live traffic of {labels['model']} drifted from its reference.",
            "runbook": f"shipyard monitor run {labels['monitor']} --html report.html"}}]}]}]}
yaml.safe_dump(test, open("alerts.test.yml", "w"))
PY
    step promtool test rules alerts.test.yml && echo "(ShipyardDataDrift fires on these gauges)"
fi

# 9. Dataset versioning: add, change, diff, check out an older version, push and pull.
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

# 10. A team server: users, tokens and roles, runs and models logged remotely, the audit log.
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
    step shipyard run -e churn -n remote-lr -- python train.py --model lr --C 1 --register churn
    step shipyard runs ls -e churn --order-by "metrics.f1 desc" --limit 2
    step shipyard models ls
    echo "ann may register versions but not move aliases (maintainers do):"
    step shipyard models alias set churn production 1 || true
    echo "ann is a contributor, not an admin: reading the audit log is refused (and audited):"
    step shipyard audit ls || true
)
(
    export SHIPYARD_URI="http://127.0.0.1:$port" SHIPYARD_TOKEN="$admin_token"
    step shipyard models alias set churn production 1 --reason "first model on the team server"
    step python -c "import shipyard; m = shipyard.load_model('models:/churn@production'); print(m)"
    step shipyard audit ls --since 1h --limit 8
    step shipyard audit verify
)
kill -INT "$server_pid"
wait "$server_pid" 2>/dev/null || true
trap - EXIT
echo "(team server stopped)"

# 11. Pipelines (docs/pipelines.md): two steps, run twice; the second run comes from cache.
cat > flows.py <<'PY'
import pandas as pd
from sklearn.linear_model import LogisticRegression

from shipyard import pipeline, step


@step
def prepare(path: str) -> pd.DataFrame:
    frame = pd.read_parquet(path, columns=["age", "income", "tenure", "score"])
    frame["churned"] = (frame["score"] > 0.3).astype(int)
    return frame.drop(columns="score")


@step(retries=2, timeout="10m")
def train(frame: pd.DataFrame, C: float) -> LogisticRegression:
    X, y = frame.drop(columns="churned"), frame["churned"]
    return LogisticRegression(C=C, max_iter=500).fit(X, y)


@pipeline
def churn(path: str = "train.parquet", C: float = 1.0) -> None:
    train(prepare(path), C)
PY
step shipyard pipeline graph flows:churn
step shipyard pipeline run flows:churn --param C=0.5
step shipyard pipeline run flows:churn --param C=0.5
echo "a new parameter re-runs only the step it reaches (prepare comes from cache):"
step shipyard pipeline run flows:churn --param C=2
step shipyard pipeline ls

# 12. Moving and keeping it (docs/deploy.md): a project archive, a backup, a restore drill.
step shipyard export churn -o "$demo.churn.tar"
step shipyard backup "$demo.backups"
mkdir -p "$demo.restored"
step shipyard --uri "sqlite:///$demo.restored/metadata.db" restore "$demo.backups" \
    --store "$demo.restored/objects"
SHIPYARD_OBJECTS_PATH="$demo.restored/objects" \
    step shipyard --uri "sqlite:///$demo.restored/metadata.db" fsck

echo
echo "Demo finished. Explore it: cd $demo"
echo "or in the browser (runs, models, datasets, pipelines, monitoring): cd $demo && shipyard ui --open"
