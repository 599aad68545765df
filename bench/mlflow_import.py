"""Importing a whole MLflow tracking store: ``shipyard migrate mlflow`` at scale.

Builds an MLflow SQLite store of ``--runs`` (10,000) runs holding ``--points``
(1,000,000) metric points between them (three metrics, two params and a tag
each, over ``--experiments`` experiments): the schema is made by the real
``mlflow`` client (bench/.venv-peers, one run logged through it), the rows are
then written straight into MLflow's own tables (logging a million points
through MLflow's client takes hours). Then ``shipyard migrate mlflow`` imports
it into a fresh workspace, as a whole command in a process of its own
(start-up included), timed, with its peak resident memory (``ru_maxrss`` of
the child); then once more (idempotent: nothing new, every run recognised).

    .venv/bin/python bench/mlflow_import.py                        # full size
    .venv/bin/python bench/mlflow_import.py --runs 500 --points 50000
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import print_table, run_peer_python

SHIPYARD = Path(sys.executable).with_name("shipyard")
MEASURE = r"""
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
took = time.perf_counter() - start
if done.returncode:
    sys.exit(done.stderr.decode()[-2000:])
print(took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(done.stdout.decode())
"""
SCHEMA = r"""
import sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("schema")
with mlflow.start_run():
    mlflow.log_metric("m", 1.0)
"""
KEYS = ("loss", "accuracy", "val/loss")


def make_store(path: Path, runs: int, points: int, experiments: int) -> None:
    """MLflow's schema from MLflow itself, then rows in MLflow's tables."""
    run_peer_python(SCHEMA, f"sqlite:///{path}")
    db = sqlite3.connect(path)
    now = int(time.time() * 1000)
    for e in range(experiments):
        db.execute(
            "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, "
            "last_update_time) VALUES (?, ?, 'active', ?, ?)",
            (f"exp-{e}", str(path.parent / "mlartifacts" / str(e)), now, now),
        )
    ids = [
        r[0] for r in db.execute("SELECT experiment_id FROM experiments WHERE name LIKE 'exp-%'")
    ]
    per_run = points // runs
    rng = random.Random(0)
    for i in range(runs):
        run_id = uuid.uuid4().hex
        db.execute(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
            "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
            "artifact_uri, experiment_id) VALUES (?, ?, 'LOCAL', '', '', 'bench', 'FINISHED', "
            "?, ?, '', 'active', ?, ?)",
            (run_id, f"run-{i}", now + i, now + i + 1000, "", ids[i % len(ids)]),
        )
        db.executemany(
            "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
            [("lr", str(rng.random()), run_id), ("depth", str(i % 10), run_id)],
        )
        db.execute("INSERT INTO tags (key, value, run_uuid) VALUES ('team', 'bench', ?)", (run_id,))
        rows = [(KEYS[p % 3], rng.random(), now + p, run_id, p // 3, 0) for p in range(per_run)]
        db.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        if i % 1000 == 999:
            db.commit()
    db.commit()
    db.close()


def measure(*args: str | Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one command in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(SHIPYARD), *map(str, args)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    first, _, rest = done.stdout.partition("\n")
    took, rss = first.split()
    return float(took), int(rss) / 1024, rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--experiments", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-import-") as scratch:
        root = Path(scratch)
        store = root / "mlflow" / "mlflow.db"
        store.parent.mkdir()
        start = time.perf_counter()
        make_store(store, args.runs, args.points, args.experiments)
        print(f"store made in {time.perf_counter() - start:.1f} s "
              f"({store.stat().st_size / 2**20:.0f} MiB)", file=sys.stderr)  # fmt: skip
        workspace = root / "ws"
        workspace.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
        subprocess.run([SHIPYARD, "-C", workspace, "init"], check=True, capture_output=True)
        rows = []
        for label in ("import", "again (nothing new)"):
            took, rss, out = measure(
                "-C", workspace, "migrate", "mlflow", f"sqlite:///{store}", "--json"
            )
            counts = json.loads(out)
            rows.append(
                [label, f"{counts['runs']:,}", f"{counts['runs_skipped']:,}",
                 f"{counts['metrics']:,}", f"{took:.1f} s", f"{rss:.0f} MiB"]
            )  # fmt: skip
        print(f"\n{args.runs:,} runs, {args.points:,} metric points, "
              f"{args.experiments} experiments (SQLite store → workspace)\n")  # fmt: skip
        print_table(
            ["shipyard migrate mlflow", "runs imported", "already there", "metric points",
             "wall", "peak RSS"],
            rows,
        )  # fmt: skip


if __name__ == "__main__":
    main()
