"""Experiment tracking: Shipyard vs MLflow, both on SQLite files in a temp folder.

Measures, in one run:

1. ``log_metric`` called in a loop (10,000 calls), values/s, including the
   final write (Shipyard's end of run flushes its buffer);
2. 100,000 values through each tool's batch API (``log_batch``, 1,000 per call);
3. creating a run with 5 params and 5 metrics and ending it, ms per run;
4. searching 10,000 runs (5 params, 5 metrics each) with a filter and an
   ordering, 100 results with their params and metrics;
5. Shipyard alone at 100,000 runs: first page and a deep page (keyset).

MLflow runs in bench/.venv-peers as a subprocess; Shipyard in this interpreter.

    .venv/bin/python bench/tracking_vs_mlflow.py            # the full figures
    .venv/bin/python bench/tracking_vs_mlflow.py --quick    # fewer calls, same rates
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import print_table, ratio, run_peer_python

FILTER = "metrics.m0 > 0.5 and params.p0 = 'a'"
ORDER = "metrics.m1 desc"

MLFLOW = r"""
import json, logging, random, statistics, sys, tempfile, time, warnings
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunStatus

calls, batch_values, created, runs = (int(a) for a in sys.argv[1:5])
folder = tempfile.mkdtemp()
mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
client = MlflowClient()
exp = client.create_experiment("bench")
out = {}

run = client.create_run(exp)
start = time.perf_counter()
for i in range(calls):
    client.log_metric(run.info.run_id, "loss", 1.0 / (i + 1), step=i)
client.set_terminated(run.info.run_id)
out["loop_s"] = time.perf_counter() - start

run = client.create_run(exp)
now = int(time.time() * 1000)
start = time.perf_counter()
for chunk in range(batch_values // 1000):
    metrics = [Metric("loss", 1.0 / (i + 1), now, chunk * 1000 + i) for i in range(1000)]
    client.log_batch(run.info.run_id, metrics=metrics)
client.set_terminated(run.info.run_id)
out["batch_s"] = time.perf_counter() - start

def one_run(rng):
    r = client.create_run(exp)
    params = [Param(f"p{j}", rng.choice("abc") if j == 0 else str(rng.random())) for j in range(5)]
    metrics = [Metric(f"m{j}", rng.random(), now, 0) for j in range(5)]
    client.log_batch(r.info.run_id, metrics=metrics, params=params)
    client.set_terminated(r.info.run_id)

rng = random.Random(1)
start = time.perf_counter()
for _ in range(created):
    one_run(rng)
out["create_ms"] = (time.perf_counter() - start) / created * 1000

search_exp = client.create_experiment("search")
exp = search_exp
rng = random.Random(2)
for _ in range(runs):
    one_run(rng)
timings = []
for _ in range(5):
    start = time.perf_counter()
    found = client.search_runs(
        [search_exp], filter_string="metrics.m0 > 0.5 and params.p0 = 'a'",
        order_by=["metrics.m1 DESC"], max_results=100,
    )
    timings.append(time.perf_counter() - start)
out["search_ms"] = statistics.median(timings) * 1000
out["search_found"] = len(found)
print(json.dumps(out))
"""


def shipyard_figures(calls: int, batch_values: int, created: int, runs: int) -> dict[str, float]:
    import random

    import shipyard
    from shipyard.core.principal import LOCAL_OWNER
    from shipyard.workspace.create import init_workspace

    folder = Path(tempfile.mkdtemp(prefix="shipyard-bench-"))
    init_workspace(folder, LOCAL_OWNER, project="bench")
    ctx = shipyard.open_context(folder)
    out: dict[str, float] = {}

    run = shipyard.start_run("bench", "loop", context=ctx)
    start = time.perf_counter()
    for i in range(calls):
        run.log_metric("loss", 1.0 / (i + 1), step=i)
    run.end()
    out["loop_s"] = time.perf_counter() - start

    run = shipyard.start_run("bench", "batch", context=ctx)
    start = time.perf_counter()
    for chunk in range(batch_values // 1000):
        run.log_batch([("loss", 1.0 / (i + 1), chunk * 1000 + i) for i in range(1000)])
    run.end()
    out["batch_s"] = time.perf_counter() - start

    def one_run(rng: random.Random, experiment: str) -> None:
        with shipyard.start_run(experiment, "r", context=ctx) as r:
            r.log_params({f"p{j}": rng.choice("abc") if j == 0 else rng.random() for j in range(5)})
            r.log_metrics({f"m{j}": rng.random() for j in range(5)})

    rng = random.Random(1)
    one_run(rng, "bench")  # the first run of a process captures git state and packages once
    start = time.perf_counter()
    for _ in range(created):
        one_run(rng, "bench")
    out["create_ms"] = (time.perf_counter() - start) / created * 1000

    rng = random.Random(2)
    for _ in range(runs):
        one_run(rng, "search")
    from shipyard.tracking.session import sdk

    tracking, _logger = sdk.backend(ctx)
    timings = []
    for _ in range(7):
        start = time.perf_counter()
        page = tracking.search_runs(
            experiments=["search"], filter=FILTER, order_by=ORDER, limit=100
        )
        timings.append(time.perf_counter() - start)
    out["search_ms"] = statistics.median(timings) * 1000
    out["search_found"] = len(page.runs)
    return out


def shipyard_at_scale(total: int) -> dict[str, float]:
    """Search at ``total`` runs, filled with bulk inserts (we time the queries, not the fill)."""
    import random

    from sqlalchemy import insert

    from shipyard.core.ids import new_id
    from shipyard.core.principal import LOCAL_OWNER
    from shipyard.store.base import utcnow
    from shipyard.store.db import Database
    from shipyard.store.migrate import upgrade
    from shipyard.tracking.entities import RunSpec
    from shipyard.tracking.service import TrackingService
    from shipyard.tracking.tables import LatestMetricRow, ParamRow, RunRow

    folder = Path(tempfile.mkdtemp(prefix="shipyard-bench-scale-"))
    db = Database(f"sqlite:///{folder / 'metadata.db'}")
    upgrade(db)
    service = TrackingService(db)
    seed = service.create_run(LOCAL_OWNER, "bench", RunSpec(experiment="scale", name="seed"))
    with db.read() as session:
        experiment_id = session.get(RunRow, seed.id).experiment_id  # type: ignore[union-attr]
    rng = random.Random(3)
    now = utcnow()
    for _ in range(total // 10_000):
        runs, params, metrics = [], [], []
        for _ in range(10_000):
            rid = new_id()
            runs.append(
                {
                    "id": rid, "project": "bench", "experiment_id": experiment_id, "name": "r",
                    "status": "finished", "created_by": "local", "start_time": now,
                    "host": "", "wall_seconds": 1.0, "cpu_seconds": 1.0, "gpu_seconds": 0.0,
                    "peak_rss_bytes": 0, "cost": 0.0,
                }
            )  # fmt: skip
            for j in range(5):
                text = rng.choice("abc") if j == 0 else str(rng.random())
                number = None if j == 0 else float(text)
                params.append({"run_id": rid, "key": f"p{j}", "value": text, "value_num": number})
                metrics.append(
                    {"run_id": rid, "key": f"m{j}", "step": 0, "timestamp_ms": 0,
                     "value": rng.random()}
                )  # fmt: skip
        with db.write() as session:
            session.execute(insert(RunRow), runs)
            session.execute(insert(ParamRow), params)
            session.execute(insert(LatestMetricRow), metrics)
    with db.connect(write=True) as conn:
        conn.exec_driver_sql("ANALYZE")

    def timed_search(token: str | None = None) -> tuple[float, str | None]:
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            page = service.search_runs(
                LOCAL_OWNER, "bench", experiments=["scale"], filter=FILTER, order_by=ORDER,
                limit=100, page_token=token,
            )  # fmt: skip
            timings.append(time.perf_counter() - start)
        return statistics.median(timings) * 1000, page.next_page_token

    first_ms, token = timed_search()
    # walk 50 pages deep, then time that page: keyset pages cost what the first does
    for _ in range(50):
        page = service.search_runs(
            LOCAL_OWNER, "bench", experiments=["scale"], filter=FILTER, order_by=ORDER,
            limit=100, page_token=token,
        )  # fmt: skip
        token = page.next_page_token
    deep_ms, _ = timed_search(token)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        service.search_runs(LOCAL_OWNER, "bench", experiments=["scale"], limit=100)
        timings.append(time.perf_counter() - start)
    db.dispose()
    return {
        "first_ms": first_ms,
        "deep_ms": deep_ms,
        "plain_ms": statistics.median(timings) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and runs")
    parser.add_argument("--scale", type=int, default=100_000, help="runs for the scale test")
    args = parser.parse_args()
    calls, batch, created, runs = (
        (2_000, 20_000, 100, 2_000) if args.quick else (10_000, 100_000, 200, 10_000)
    )
    print(f"MLflow: {calls:,} log_metric calls, {batch:,} batch values, {runs:,} runs…", flush=True)
    theirs = json.loads(run_peer_python(MLFLOW, str(calls), str(batch), str(created), str(runs)))
    print("Shipyard…", flush=True)
    ours = shipyard_figures(calls, batch, created, runs)
    print(f"Shipyard at {args.scale:,} runs…", flush=True)
    scale = shipyard_at_scale(args.scale)

    loop_ours, loop_theirs = calls / ours["loop_s"], calls / theirs["loop_s"]
    batch_ours, batch_theirs = batch / ours["batch_s"], batch / theirs["batch_s"]
    print()
    print_table(
        ["measure", "Shipyard", "MLflow", "Shipyard is"],
        [
            [
                f"log_metric loop, {calls:,} calls (values/s)",
                f"{loop_ours:,.0f}",
                f"{loop_theirs:,.0f}",
                ratio(loop_ours, loop_theirs, higher_is_better=True),
            ],
            [
                f"batch API, {batch:,} values (values/s)",
                f"{batch_ours:,.0f}",
                f"{batch_theirs:,.0f}",
                ratio(batch_ours, batch_theirs, higher_is_better=True),
            ],
            [
                "create + end a run with 5 params, 5 metrics (ms)",
                f"{ours['create_ms']:.2f}",
                f"{theirs['create_ms']:.2f}",
                ratio(ours["create_ms"], theirs["create_ms"], higher_is_better=False),
            ],
            [
                f"search {runs:,} runs, filter + order, 100 results (ms)",
                f"{ours['search_ms']:.1f}",
                f"{theirs['search_ms']:.1f}",
                ratio(ours["search_ms"], theirs["search_ms"], higher_is_better=False),
            ],
            [
                f"search {args.scale:,} runs, filter + order, first page (ms)",
                f"{scale['first_ms']:.1f}",
                "-",
                "-",
            ],
            [
                f"search {args.scale:,} runs, page 52 by keyset (ms)",
                f"{scale['deep_ms']:.1f}",
                "-",
                "-",
            ],
            [f"list {args.scale:,} runs, newest 100 (ms)", f"{scale['plain_ms']:.1f}", "-", "-"],
        ],
    )
    if ours["search_found"] != theirs["search_found"]:
        print(f"note: results differ ({ours['search_found']} vs {theirs['search_found']})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
