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

# 2. Tracked training runs: params, metrics, data lineage, git state, cost; then compare.
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

echo
echo "Demo finished. Explore it: cd $demo"
