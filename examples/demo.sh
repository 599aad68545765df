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

# 2. The object store: content-addressed, deduplicated, verified.
head -c 12000000 /dev/urandom > features.bin
for i in $(seq 1 200); do echo "row $i,$RANDOM" > "part-$i.csv"; done
step shipyard objects put features.bin
shipyard objects put part-*.csv > /dev/null && echo "(200 small files stored, packed together)"
step shipyard objects stats
step shipyard fsck
step shipyard gc --dry-run --grace 0s

echo
echo "Demo finished. Explore it: cd $demo"
