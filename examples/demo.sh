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

echo
echo "Demo finished. Explore it: cd $demo"
