"""MLflow's client, unchanged, against Shipyard's team server vs against ``mlflow server``.

Both servers run on 127.0.0.1 with a SQLite backend and one worker; the client
is the real ``mlflow`` in bench/.venv-peers, the same code for both, with
``MLFLOW_TRACKING_TOKEN`` set to a Shipyard token for Shipyard. Measured in one run:

1. a ``log_metric`` loop of 10,000 calls (one request each);
2. ``log_batch`` of 100,000 values (1,000 per call);
3. ``search_runs`` with a filter and an ordering over 10,000 runs (median of 5);
4. one 64 MiB artifact uploaded, then downloaded.

The client's own CPU time is printed beside each figure: it is the same code on
both sides, so what differs is the server.

    .venv/bin/python bench/mlflow_compat.py           # full figures
    .venv/bin/python bench/mlflow_compat.py --quick   # 1/10 of everything
"""

from __future__ import annotations

import argparse
import json
import os
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
    stop,
    wait_up,
)

CLIENT = r"""
import json, logging, os, random, statistics, sys, time, warnings
from concurrent.futures import ThreadPoolExecutor
url, token, calls, values, runs, folder = sys.argv[1:7]
calls, values, runs = int(calls), int(values), int(runs)
if token:
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

mlflow.set_tracking_uri(url)
client = MlflowClient()
out = {}

def measure(name, fn):
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    out[name] = time.perf_counter() - wall
    out[name + "_cpu"] = time.process_time() - cpu
    return result

exp = client.create_experiment("compat")

def loop():
    run = client.create_run(exp)
    for i in range(calls):
        client.log_metric(run.info.run_id, "loss", 1.0 / (i + 1), step=i)
    client.set_terminated(run.info.run_id)
measure("loop", loop)

def batch():
    run = client.create_run(exp)
    now = int(time.time() * 1000)
    for chunk in range(values // 1000):
        metrics = [Metric("loss", 1.0 / (i + 1), now, chunk * 1000 + i) for i in range(1000)]
        client.log_batch(run.info.run_id, metrics=metrics)
    client.set_terminated(run.info.run_id)
measure("batch", batch)

search = client.create_experiment("search")
now = int(time.time() * 1000)
def one_run(seed):
    rng = random.Random(seed)
    r = client.create_run(search)
    params = [Param(f"p{j}", rng.choice("abc") if j == 0 else str(rng.random())) for j in range(5)]
    metrics = [Metric(f"m{j}", rng.random(), now, 0) for j in range(5)]
    client.log_batch(r.info.run_id, metrics=metrics, params=params)
    client.set_terminated(r.info.run_id)
start = time.perf_counter()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(one_run, range(runs)))
out["fill_s"] = time.perf_counter() - start
timings, cpus = [], []
for _ in range(5):
    cpu, wall = time.process_time(), time.perf_counter()
    found = client.search_runs([search], filter_string="metrics.m0 > 0.5 and params.p0 = 'a'",
                               order_by=["metrics.m1 DESC"], max_results=100)
    timings.append(time.perf_counter() - wall)
    cpus.append(time.process_time() - cpu)
out["search"], out["search_cpu"] = statistics.median(timings), statistics.median(cpus)
out["found"] = len(found)

run = client.create_run(exp)
measure("upload", lambda: client.log_artifact(run.info.run_id, os.path.join(folder, "big.bin")))
dest = os.path.join(folder, "download-" + str(os.getpid()))
os.makedirs(dest)
path = measure("download", lambda: client.download_artifacts(run.info.run_id, "big.bin", dest))
out["download_ok"] = os.path.getsize(path) == os.path.getsize(os.path.join(folder, "big.bin"))
client.set_terminated(run.info.run_id)
print(json.dumps(out))
"""


def start_mlflow(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port, log = free_port(), folder / "mlflow-server.log"
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


def figures(url: str, token: str, folder: Path, calls: int, values: int, runs: int) -> dict:
    printed = run_peer_python(CLIENT, url, token, str(calls), str(values), str(runs), str(folder))
    return dict(json.loads(printed.strip().splitlines()[-1]))  # MLflow prints run links first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of every figure")
    args = parser.parse_args()
    calls, values, runs = (1_000, 10_000, 1_000) if args.quick else (10_000, 100_000, 10_000)
    folder = Path(tempfile.mkdtemp(prefix="mlflow-compat-"))
    (folder / "big.bin").write_bytes(os.urandom(64 * 1024 * 1024))
    # One server at a time, so neither measures while the other starts or idles.
    process, url, _env, token = start_shipyard_server(
        folder, f"sqlite:///{folder / 'shipyard.db'}", "--workers", "1"
    )
    try:
        ours = figures(url, token, folder, calls, values, runs)
    finally:
        stop(process)
    process, url = start_mlflow(folder)
    try:
        theirs = figures(url, "", folder, calls, values, runs)
    finally:
        stop(process)
    mib = 64

    def row(label: str, key: str, rate: float | None = None) -> tuple[str, ...]:
        if rate is None:  # seconds, lower is better
            o, t = ours[key], theirs[key]
            shown = (f"{o:.3f} s", f"{t:.3f} s", ratio(o, t, higher_is_better=False))
        else:
            o, t = rate / ours[key], rate / theirs[key]
            shown = (f"{o:,.0f}/s", f"{t:,.0f}/s", ratio(o, t, higher_is_better=True))
        cpu = f"{ours[key + '_cpu']:.2f} s / {theirs[key + '_cpu']:.2f} s"
        return (label, *shown, cpu)

    rows = [
        row(f"log_metric loop, {calls:,} calls", "loop", calls),
        row(f"log_batch, {values:,} values", "batch", values),
        row(f"search_runs over {runs:,} runs, 100 results", "search"),
        row(f"artifact upload, {mib} MiB", "upload"),
        row(f"artifact download, {mib} MiB", "download"),
    ]
    print(f"# MLflow client against Shipyard vs mlflow server, {time.strftime('%Y-%m-%d')}, "
          f"127.0.0.1, SQLite, 1 worker each ({BENCH_DIR.name}/{Path(__file__).name})")  # fmt: skip
    print_table(["measure (MLflow client)", "Shipyard", "mlflow server", "Shipyard advantage",
                 "client CPU (Shipyard / MLflow)"], rows)  # fmt: skip
    print(f"\nfilling {runs:,} runs (8 client threads): Shipyard {ours['fill_s']:.1f} s, "
          f"mlflow server {theirs['fill_s']:.1f} s; search found {ours['found']} / "
          f"{theirs['found']} runs; downloads intact: {ours['download_ok']} / "
          f"{theirs['download_ok']}")  # fmt: skip


if __name__ == "__main__":
    main()
