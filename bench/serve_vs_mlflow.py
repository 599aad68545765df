"""Serving throughput and latency: ``shipyard serve`` vs ``mlflow models serve`` vs bare Starlette.

One LogisticRegression trained on ``load_breast_cancer`` (30 float columns),
saved by MLflow (in bench/.venv-peers) and by Shipyard. Three servers on
127.0.0.1, one at a time, each driven by ``bench/_loadgen.py`` (a separate
process: keep-alive connections, one pre-encoded single-row
``dataframe_split`` body) at concurrency 1 and 32 for a fixed time after a
warm-up:

* ``mlflow models serve`` (MLflow's scoring server, its defaults);
* ``shipyard serve`` (one worker, ``--preload``; ONNX fast path and batching on);
* a bare reference: a minimal Starlette app on uvicorn that parses the JSON
  and calls ``model.predict`` on a numpy array (no validation).

    .venv/bin/python bench/serve_vs_mlflow.py [--seconds 10] [--rounds 2] [--workers 1]

All three servers run at once (idle ones cost nothing) and are measured in
interleaved rounds; each server's best round is reported, so a burst of load
from elsewhere on this shared machine does not fall on one server only.

The load generator and the server share this machine's cores (2 here), so the
figures are lower than on a machine where the load comes from elsewhere; the
generator is made cheap to keep that cost small and equal for all three.
``hey`` (``apt-get install hey``) gives comparable figures if installed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, peer_bin, print_table, ratio, stop

TRAIN = """
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=5000).fit(X, y)
"""

MLFLOW_SAVE = (
    TRAIN
    + """
import sys, mlflow.sklearn
mlflow.sklearn.save_model(model, sys.argv[1], input_example=X.head(5))
"""
)

BARE_APP = (
    TRAIN
    + """
import sys
import numpy as np
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

model.fit(X.to_numpy(), y)  # the same estimator, fitted on arrays: predict takes rows as-is

async def invocations(request):
    payload = await request.json()
    rows = np.asarray(payload["dataframe_split"]["data"], dtype=float)
    return JSONResponse({"predictions": model.predict(rows).tolist()})

async def ping(request):
    return PlainTextResponse("ok")

app = Starlette(routes=[Route("/invocations", invocations, methods=["POST"]),
                        Route("/ping", ping)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False)
"""
)

SHIPYARD_SAVE = (
    TRAIN
    + """
import sys
from shipyard.models import save_model
save_model(model, sys.argv[1], input_example=X.head(50))
"""
)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s")


def load(port: int, body: Path, concurrency: int, seconds: float) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "_loadgen.py"), str(port), "/invocations",
         str(body), str(concurrency), str(seconds)],
        capture_output=True, text=True, timeout=seconds + 120, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def running(command: list[str], ready: str, port: int, env: dict) -> Iterator[None]:
    """A server process, ready to answer, stopped on exit."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}{ready}", process)
        yield
    finally:
        stop(process)


def measure(
    name: str, command: list[str], port: int, ready: str, body: Path, seconds: float, env: dict
) -> list[dict[str, object]]:
    with running(command, ready, port, env):
        load(port, body, 4, 2.0)  # warm-up: first requests, caches, lazy imports
        rows = []
        for concurrency in (1, 32):
            result = load(port, body, concurrency, seconds)
            rows.append({"server": name, "concurrency": concurrency, **result})
            print(f"  {name:<9} c={concurrency:<3} {result}", flush=True)
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per load run")
    parser.add_argument("--workers", type=int, default=1, help="shipyard serve workers")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (best kept)")
    parser.add_argument(
        "--sweep-batching", action="store_true",
        help="instead: shipyard serve alone under batching settings (to choose the defaults)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.sweep_batching:
        sweep_batching(args.seconds)
        return
    peers_python = str(peer_bin("python"))
    mlflow = str(peer_bin("mlflow"))
    shipyard = str(Path(sys.executable).parent / "shipyard")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    # MLflow starts `uvicorn` by name: its own venv's bin must come first on PATH.
    mlflow_env = {**env, "PATH": f"{Path(mlflow).parent}{os.pathsep}{env.get('PATH', '')}"}
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        work = Path(tmp)
        subprocess.run([peers_python, "-c", MLFLOW_SAVE, str(work / "mlflow-model")], check=True)
        subprocess.run([sys.executable, "-c", SHIPYARD_SAVE, str(work / "model")], check=True)
        from sklearn.datasets import load_breast_cancer

        X = load_breast_cancer(as_frame=True).data
        body = work / "one-row.json"
        body.write_text(
            json.dumps({"dataframe_split": {"columns": list(X.columns),
                                            "data": X.head(1).to_numpy().tolist()}})
        )  # fmt: skip
        print(
            f"load: {args.seconds:g} s per run, single-row dataframe_split, 2 cores shared; "
            f"{args.rounds} interleaved rounds, best round kept per server"
        )
        servers = [
            ("mlflow",
             [mlflow, "models", "serve", "-m", str(work / "mlflow-model"), "-h", "127.0.0.1",
              "--env-manager", "local", "-p"], "/ping", mlflow_env),
            ("bare", [sys.executable, "-c", BARE_APP], "/ping", env),
            ("shipyard",
             [shipyard, "serve", f"churn={work / 'model'}", "--preload", "--workers",
              str(args.workers), "--log-rate", "0", "--port"], "/v2/health/ready", env),
        ]  # fmt: skip
        with contextlib.ExitStack() as stack:
            ports = {}
            for name, command, ready, server_env in servers:
                port = free_port()
                stack.enter_context(running([*command, str(port)], ready, port, server_env))
                load(port, body, 4, 2.0)  # warm-up: first requests, caches, lazy imports
                ports[name] = port
            best: dict[tuple[str, int], dict[str, object]] = {}
            for round_ in range(args.rounds):
                for name, _, _, _ in servers:  # interleaved: slow drifts in load hit all alike
                    for concurrency in (1, 32):
                        result = load(ports[name], body, concurrency, args.seconds)
                        print(f"  round {round_ + 1} {name:<9} c={concurrency:<3} {result}",
                              flush=True)  # fmt: skip
                        key = (name, concurrency)
                        if key not in best or result["rps"] > best[key]["rps"]:  # type: ignore[operator]
                            best[key] = {"server": name, "concurrency": concurrency, **result}
        rows = [best[(name, c)] for name, _, _, _ in servers for c in (1, 32)]
    by = {(r["server"], r["concurrency"]): r for r in rows}
    print()
    print_table(
        ["server", "concurrency", "req/s", "p50 ms", "p99 ms", "errors"],
        [
            [r["server"], r["concurrency"], f"{r['rps']:,.0f}", f"{r['p50_ms']:.2f}",
             f"{r['p99_ms']:.2f}", r["errors"]]
            for r in rows
        ],
    )  # fmt: skip
    ship32, ml32, bare32 = by["shipyard", 32], by["mlflow", 32], by["bare", 32]
    ship1 = by["shipyard", 1]
    print()
    print_table(
        ["measure", "shipyard", "target", "met"],
        [
            ["throughput vs MLflow, c=32",
             ratio(float(ship32["rps"]), float(ml32["rps"]), higher_is_better=True), "≥ 20×",
             float(ship32["rps"]) >= 20 * float(ml32["rps"])],
            ["throughput vs bare reference, c=32",
             ratio(float(ship32["rps"]), float(bare32["rps"]), higher_is_better=True), "≥ 1×",
             float(ship32["rps"]) >= float(bare32["rps"])],
            ["p99 at c=32", f"{ship32['p99_ms']:.2f} ms", "≤ 15 ms",
             float(ship32["p99_ms"]) <= 15],
            ["p50 at c=1", f"{ship1['p50_ms']:.3f} ms", "≤ 0.5 ms",
             float(ship1["p50_ms"]) <= 0.5],
        ],
    )  # fmt: skip


def sweep_batching(seconds: float) -> None:
    """Shipyard alone under batching settings: size 1 is no batching at all."""
    shipyard = str(Path(sys.executable).parent / "shipyard")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    settings = [(1, 0.0), (16, 0.0), (64, 0.0), (64, 1.0), (64, 5.0)]
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-c", SHIPYARD_SAVE, str(work / "model")], check=True)
        from sklearn.datasets import load_breast_cancer

        X = load_breast_cancer(as_frame=True).data
        body = work / "one-row.json"
        body.write_text(
            json.dumps({"dataframe_split": {"columns": list(X.columns),
                                            "data": X.head(1).to_numpy().tolist()}})
        )  # fmt: skip
        table = []
        for size, wait in settings:
            port = free_port()
            name = f"{size}/{wait:g}ms"
            rows = measure(
                name,
                [shipyard, "serve", f"churn={work / 'model'}", "--port", str(port), "--preload",
                 "--log-rate", "0", "--max-batch-size", str(size), "--max-wait-ms", str(wait)],
                port, "/v2/health/ready", body, seconds, env,
            )  # fmt: skip
            one, many = rows
            table.append([name, f"{one['p50_ms']:.3f}", f"{one['p99_ms']:.2f}",
                          f"{many['rps']:,.0f}", f"{many['p50_ms']:.2f}",
                          f"{many['p99_ms']:.2f}"])  # fmt: skip
    print()
    print_table(
        ["max batch / wait", "c=1 p50 ms", "c=1 p99 ms", "c=32 req/s", "c=32 p50 ms",
         "c=32 p99 ms"],
        table,
    )  # fmt: skip


if __name__ == "__main__":
    main()
