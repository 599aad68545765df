"""Many clients against one tracking server: Shipyard's team server vs MLflow's.

Each server runs with 2 workers on a PostgreSQL database of its own on
127.0.0.1. ``N`` client processes (each tool's own SDK, in its own
interpreter) start together and, for ``--seconds``, repeat what a training
job does: start a run, log 200 values of one metric, end it (Shipyard: 200
``log_metric`` calls, the SDK batches them; MLflow: one ``log_batch`` of 200,
its cheapest way). Reported per tool and client count: runs per second, the
median and 99th percentile of one run's wall time, the server's CPU
seconds per run (every process of the server, from ``/proc``), and the runs
that failed with an error (not counted in the others).

Used by ``bench/tracking_scale.py --measure server-load``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _common import free_port, peer_bin, start_shipyard_server, stop, wait_up

PG_ADMIN = os.environ.get(
    "SHIPYARD_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POINTS = 200

SHIPYARD_CLIENT = r"""
import json, os, sys, time
import shipyard
go, seconds = sys.argv[1], float(sys.argv[2])
with shipyard.start_run("warm-up", "w"):
    pass
times = []
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.01)
end = time.monotonic() + seconds
errors = []
while time.monotonic() < end:
    t = time.perf_counter()
    try:
        with shipyard.start_run("load", "r") as run:
            for step in range(200):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
    except Exception as exc:
        errors.append(str(exc)[:300])
    else:
        times.append(time.perf_counter() - t)
print(json.dumps({"times": times, "errors": errors}))
"""

MLFLOW_CLIENT = r"""
import json, logging, os, sys, time, warnings
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
from mlflow import MlflowClient
from mlflow.entities import Metric
url, go, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
client = MlflowClient(url)
try:
    exp = client.create_experiment(f"load-{os.getpid()}")
except Exception:
    exp = client.get_experiment_by_name(f"load-{os.getpid()}").experiment_id
client.set_terminated(client.create_run(exp).info.run_id)  # warm-up
times = []
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.01)
end = time.monotonic() + seconds
errors = []
while time.monotonic() < end:
    t = time.perf_counter()
    try:
        run_id = client.create_run(exp).info.run_id
        now = int(time.time() * 1000)
        points = [Metric("loss", 1.0 / (s + 1), now, s) for s in range(200)]
        client.log_batch(run_id, metrics=points)
        client.set_terminated(run_id)
    except Exception as exc:
        errors.append(str(exc)[:300])
    else:
        times.append(time.perf_counter() - t)
print(json.dumps({"times": times, "errors": errors}))
"""


@contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    while todo:
        here = todo.pop()
        todo.extend(children.get(here, []))
        try:
            fields = Path(f"/proc/{here}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def start_shipyard(folder: Path, db: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    process, url, env, token = start_shipyard_server(folder, db, "--workers", "2")
    client_env = {**env, "SHIPYARD_URI": url, "SHIPYARD_PROJECT": "bench",
                  "SHIPYARD_TOKEN": token}  # fmt: skip
    return process, client_env


def start_mlflow(folder: Path, db: str) -> tuple[subprocess.Popen[bytes], str]:
    port, log = free_port(), folder / "mlflow-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(peer_bin("mlflow")), "server", "--backend-store-uri",
             db.replace("postgresql://", "postgresql+psycopg2://"), "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2"],
            stdout=out, stderr=subprocess.STDOUT, cwd=folder,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_up(f"{url}/health", process, log)
    return process, url


def _ready(client: subprocess.Popen[str]) -> bool:
    """Read the client's output up to its "ready" line (MLflow prints run links on the way)."""
    assert client.stdout is not None
    return any(line.strip() == "ready" for line in client.stdout)  # stops at "ready"


def _drive(commands: list[list[str]], env: dict[str, str] | None, server_pid: int,
           seconds: float) -> dict[str, float]:  # fmt: skip
    """Start the clients, wait for them, and sum up what they and the server did."""
    go = Path(tempfile.mkdtemp()) / "go"
    clients = [
        subprocess.Popen(
            [*c, str(go), str(seconds)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in commands
    ]
    for client in clients:  # every client has imported and warmed up: start together
        if not _ready(client):
            for other in clients:
                other.kill()
            sys.exit(f"a client did not start:\n{client.communicate()[1][-3000:]}")
    cpu_before, wall_before = _tree_cpu(server_pid), time.monotonic()
    go.touch()
    outputs = [c.communicate(timeout=seconds + 600) for c in clients]
    wall, cpu = time.monotonic() - wall_before, _tree_cpu(server_pid) - cpu_before
    times: list[float] = []
    errors: list[str] = []
    for (out, err), client in zip(outputs, clients, strict=True):
        if client.returncode != 0:
            sys.exit(f"a client failed:\n{err[-3000:]}")
        result = json.loads(out.strip().splitlines()[-1])  # MLflow prints links before
        times.extend(result["times"])
        errors.extend(result["errors"])
    if errors:
        print(f"  {len(errors)} runs failed, the first: {errors[0]}", file=sys.stderr)
    times.sort()
    runs = len(times)
    p99 = times[max(0, int(runs * 0.99) - 1)] if runs else float("nan")
    return {"runs": runs, "runs_per_s": runs / wall, "p50_s": times[runs // 2] if runs else
            float("nan"), "p99_s": p99, "cpu_ms_per_run": 1000 * cpu / max(runs, 1),
            "failed": len(errors)}  # fmt: skip


def shipyard_load(clients: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as db:
        folder = Path(tmp)
        server, env = start_shipyard(folder, db)
        try:
            command = [sys.executable, "-c", SHIPYARD_CLIENT]
            return _drive([command] * clients, env, server.pid, seconds)
        finally:
            stop(server)


def mlflow_load(clients: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as db:
        server, url = start_mlflow(Path(tmp), db)
        try:
            command = [str(peer_bin("python")), "-c", MLFLOW_CLIENT, url]
            return _drive([command] * clients, None, server.pid, seconds)
        finally:
            stop(server)
