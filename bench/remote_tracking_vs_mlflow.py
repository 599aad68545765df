"""Remote tracking: a Shipyard team server vs an MLflow tracking server, both on 127.0.0.1.

Both servers run as subprocesses with a SQLite backend in a temp folder and one
worker; each client is that tool's own SDK in its own interpreter. Measured in
one run:

1. ``log_metric`` in a loop (calls/s, the run's end included: Shipyard batches
   in the background, one request per flush; MLflow sends one request per call);
2. 100,000 values through each SDK's batch call (1,000 per call);
3. starting a run, logging 5 params and 5 metrics, ending it (ms per run);
4. a search with a filter and an ordering over 1,000 such runs (ms);
5. artifacts: one 64 MiB file, and a folder of 1,000 small files (s).

    .venv/bin/python bench/remote_tracking_vs_mlflow.py           # full figures
    .venv/bin/python bench/remote_tracking_vs_mlflow.py --quick   # smaller, same rates
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from _common import (
    BENCH_DIR,
    free_port,
    peer_bin,
    print_table,
    ratio,
    run_peer_python,
    start_shipyard_server,
    wait_up,
)

MLFLOW = r"""
import json, logging, os, random, statistics, sys, time, warnings
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

url, calls, batch_values, created, runs, folder = sys.argv[1:7]
calls, batch_values, created, runs = int(calls), int(batch_values), int(created), int(runs)
mlflow.set_tracking_uri(url)
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

def one_run(rng, experiment):
    r = client.create_run(experiment)
    params = [Param(f"p{j}", rng.choice("abc") if j == 0 else str(rng.random())) for j in range(5)]
    metrics = [Metric(f"m{j}", rng.random(), now, 0) for j in range(5)]
    client.log_batch(r.info.run_id, metrics=metrics, params=params)
    client.set_terminated(r.info.run_id)
    return r

rng = random.Random(1)
start = time.perf_counter()
for _ in range(created):
    one_run(rng, exp)
out["create_ms"] = (time.perf_counter() - start) / created * 1000

search = client.create_experiment("search")
rng = random.Random(2)
for _ in range(runs):
    one_run(rng, search)
timings = []
for _ in range(5):
    start = time.perf_counter()
    found = client.search_runs([search], filter_string="metrics.m0 > 0.5 and params.p0 = 'a'",
                               order_by=["metrics.m1 DESC"], max_results=100)
    timings.append(time.perf_counter() - start)
out["search_ms"] = statistics.median(timings) * 1000

r = one_run(rng, exp)
start = time.perf_counter()
client.log_artifact(r.info.run_id, os.path.join(folder, "big.bin"))
out["big_s"] = time.perf_counter() - start
start = time.perf_counter()
client.log_artifacts(r.info.run_id, os.path.join(folder, "small"), "small")
out["small_s"] = time.perf_counter() - start
print(json.dumps(out))
"""


def start_shipyard(folder: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    process, url, _env, token = start_shipyard_server(folder, f"sqlite:///{folder / 'shipyard.db'}")
    return process, url, token


def start_mlflow(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = folder / "mlflow-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(peer_bin("mlflow")), "server", "--backend-store-uri",
             f"sqlite:///{folder / 'mlflow.db'}", "--artifacts-destination",
             str(folder / "mlartifacts"), "--serve-artifacts", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1"],
            stdout=out, stderr=subprocess.STDOUT, cwd=folder,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_up(f"{url}/health", process, log)
    return process, url


def shipyard_figures(
    url: str, token: str, folder: Path, calls: int, batch_values: int, created: int, runs: int
) -> dict[str, float]:
    import shipyard
    from shipyard.context import open_context
    from shipyard.tracking.session import sdk

    env = {"SHIPYARD_URI": url, "SHIPYARD_TOKEN": token, "SHIPYARD_PROJECT": "bench"}
    ctx = open_context(folder, env=env)
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

    def one_run(rng: random.Random, experiment: str) -> shipyard.ActiveRun:
        with shipyard.start_run(experiment, "r", context=ctx) as r:
            r.log_params({f"p{j}": rng.choice("abc") if j == 0 else rng.random() for j in range(5)})
            r.log_metrics({f"m{j}": rng.random() for j in range(5)})
        return r

    rng = random.Random(1)
    one_run(rng, "bench")  # the first run captures git state and packages once
    start = time.perf_counter()
    for _ in range(created):
        one_run(rng, "bench")
    out["create_ms"] = (time.perf_counter() - start) / created * 1000
    rng = random.Random(2)
    for _ in range(runs):
        one_run(rng, "search")
    backend, _ = sdk.backend(ctx)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        backend.search_runs(experiments=["search"], filter="metrics.m0 > 0.5 and params.p0 = 'a'",
                            order_by="metrics.m1 desc", limit=100)  # fmt: skip
        timings.append(time.perf_counter() - start)
    out["search_ms"] = sorted(timings)[2] * 1000

    with shipyard.start_run("bench", "artifacts", context=ctx) as r:
        start = time.perf_counter()
        r.log_artifact(folder / "big.bin")
        out["big_s"] = time.perf_counter() - start
        start = time.perf_counter()
        r.log_artifacts(folder / "small", "small")
        out["small_s"] = time.perf_counter() - start
    sdk.shutdown()
    ctx.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and runs")
    args = parser.parse_args()
    calls, batch_values, created, runs = (2_000, 20_000, 50, 200) if args.quick else (
        10_000, 100_000, 200, 1_000)  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="remote-bench-"))
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    (folder / "big.bin").write_bytes(os.urandom(64 * 1024 * 1024))
    (folder / "small").mkdir()
    for i in range(1000):
        (folder / "small" / f"f{i}.json").write_text(json.dumps({"i": i, "r": random.random()}))
    from shipyard.core.principal import LOCAL_OWNER
    from shipyard.workspace.create import init_workspace

    init_workspace(folder, LOCAL_OWNER, project="bench")
    # One server at a time, so neither measures while the other starts or idles.
    ours_process, url, token = start_shipyard(folder)
    try:
        ours = shipyard_figures(url, token, folder, calls, batch_values, created, runs)
    finally:
        ours_process.terminate()
        ours_process.wait(timeout=30)
    theirs_process, mlflow_url = start_mlflow(folder)
    try:
        printed = run_peer_python(
            MLFLOW, mlflow_url, str(calls), str(batch_values), str(created), str(runs), str(folder)
        )
        theirs = json.loads(printed.strip().splitlines()[-1])  # MLflow prints run links first
    finally:
        theirs_process.terminate()
        theirs_process.wait(timeout=30)
    rows = [
        (f"log_metric loop, {calls:,} calls (calls/s)", f"{calls / ours['loop_s']:,.0f}",
         f"{calls / theirs['loop_s']:,.0f}",
         ratio(calls / ours["loop_s"], calls / theirs["loop_s"], higher_is_better=True)),
        (f"batch API, {batch_values:,} values (values/s)", f"{batch_values / ours['batch_s']:,.0f}",
         f"{batch_values / theirs['batch_s']:,.0f}",
         ratio(batch_values / ours["batch_s"], batch_values / theirs["batch_s"],
               higher_is_better=True)),
        ("run with 5 params + 5 metrics (ms/run)", f"{ours['create_ms']:.1f}",
         f"{theirs['create_ms']:.1f}",
         ratio(ours["create_ms"], theirs["create_ms"], higher_is_better=False)),
        (f"search over {runs:,} runs, 100 results (ms)", f"{ours['search_ms']:.1f}",
         f"{theirs['search_ms']:.1f}",
         ratio(ours["search_ms"], theirs["search_ms"], higher_is_better=False)),
        ("artifact, one 64 MiB file (s)", f"{ours['big_s']:.2f}", f"{theirs['big_s']:.2f}",
         ratio(ours["big_s"], theirs["big_s"], higher_is_better=False)),
        ("artifacts, 1,000 small files (s)", f"{ours['small_s']:.2f}", f"{theirs['small_s']:.2f}",
         ratio(ours["small_s"], theirs["small_s"], higher_is_better=False)),
    ]  # fmt: skip
    print(f"# remote tracking, {time.strftime('%Y-%m-%d')}, servers on 127.0.0.1, SQLite, "
          f"1 worker each ({BENCH_DIR.name}/{Path(__file__).name})")  # fmt: skip
    print_table(["measure", "Shipyard", "MLflow", "Shipyard advantage"], rows)


if __name__ == "__main__":
    main()
