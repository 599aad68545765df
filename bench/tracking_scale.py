"""Tracking at scale: Shipyard vs MLflow on what grows large.

One function per measure, each returning table rows (Shipyard beside MLflow,
measured in the same run, and the ratio); ``main()`` runs the ones asked for.
Measures so far:

``history``: one run holding ``--values`` (1,000,000) values of one metric,
stored the way each tool's SDK stores them (Shipyard: the batch writer its
logger flushes through, 20,000 values a flush; MLflow: ``log_batch`` for the
first and last thousand, the rows in between inserted as ``log_batch`` writes
them, since a million ``log_batch`` values take minutes). Then every read runs
in a fresh process that reports the wall time of the read alone and its peak
resident memory (``ru_maxrss``, imports included, the same for both tools):

* MLflow ``MlflowClient.get_metric_history`` (a list of ``Metric``);
* Shipyard ``shipyard.runs.metric_history`` (the same: a list of points);
* Shipyard ``shipyard.runs.iter_metric_history`` (pages of numpy columns);
* Shipyard ``shipyard.runs.metric_history_summary`` (500 buckets, in the store);
* ``shipyard runs history --json`` and the default table (whole commands,
  start-up included, output to /dev/null).

``server-load``: ``--clients`` (32 and 64) client processes, each tool's own
SDK, starting a run, logging 200 values and ending it for ``--seconds`` against
its tool's server (2 workers, PostgreSQL): runs/s, p50/p99 of one run, server
CPU per run (see bench/tracking_load.py).

``sdk-loop``: the cost of a run itself, each tool in a fresh process of its
own: a plain ``start_run`` / ``log_metric`` / ``end`` loop of ``--runs``
(1,000) runs, no special arguments (MLflow: at most 200 runs, it is slower),
after one warm-up run that pays the imports; and the first ``search_runs``
(20 rows) of a fresh process, imports included.

Both tools use a SQLite file in a temp folder; MLflow runs in bench/.venv-peers.

    .venv/bin/python bench/tracking_scale.py                       # every measure
    .venv/bin/python bench/tracking_scale.py --measure history --values 200000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from _common import peer_bin, print_table, ratio, run_peer_python

KEY = "loss"
BASE_MS = 1_700_000_000_000
FLUSH = 20_000  # values per flush of Shipyard's logger (tracking/batching.py FLUSH_AT)

Row = list[object]

MLFLOW_FILL = r"""
import json, logging, sqlite3, sys, time, warnings
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric

folder, values, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
client = MlflowClient()
run_id = client.create_run(client.create_experiment("scale")).info.run_id
start = time.perf_counter()
def batch(lo, hi):
    client.log_batch(run_id, metrics=[Metric("loss", 1.0 / (i + 1), base + i, i)
                                      for i in range(lo, hi)])
head = min(1000, values)
batch(0, head)
tail = max(head, values - 1000)
# The rows log_batch writes (key, value, timestamp, run_uuid, step, is_nan), in bulk.
with sqlite3.connect(f"{folder}/mlflow.db") as db:
    db.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                   "VALUES ('loss', ?, ?, ?, ?, 0)",
                   ((1.0 / (i + 1), base + i, run_id, i) for i in range(head, tail)))
batch(tail, values)  # the last values through MLflow again: latest_metrics as it keeps it
client.set_terminated(run_id)
print(json.dumps({"run_id": run_id, "fill_s": time.perf_counter() - start}))
"""

MLFLOW_READ = r"""
import json, logging, sys, time, warnings
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
import mlflow
from mlflow import MlflowClient

folder, run_id = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
client = MlflowClient()
client.get_run(run_id)  # connect and check the schema before the clock starts
start = time.perf_counter()
history = client.get_metric_history(run_id, "loss")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "count": len(history)}))
"""

SHIPYARD_READ = r"""
import json, sys, time
import shipyard.runs as runs
from shipyard.context import open_context

how, run_id = sys.argv[1], sys.argv[2]
ctx = open_context()
runs.get_run(run_id, context=ctx)  # open the store before the clock starts
start = time.perf_counter()
if how == "list":
    count = len(runs.metric_history(run_id, "loss", context=ctx))
elif how == "pages":
    count = sum(len(p) for p in runs.iter_metric_history(run_id, "loss", context=ctx))
else:
    count = runs.metric_history_summary(run_id, "loss", 500, context=ctx).count
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "count": count}))
"""

# Linux keeps a process's peak RSS across exec (the kernel takes over the peak of the
# memory it replaces: after vfork, this bench's own), so a measured process is started
# by a small wrapper that reads the child's own peak as RUSAGE_CHILDREN and adds it to
# the JSON the child printed.
MEASURED = r"""
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True, check=True)
figures = json.loads(done.stdout)
figures["maxrss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps(figures))
"""

# A whole command in a child of its own: RUSAGE_CHILDREN is that command's peak alone.
SHIPYARD_COMMAND = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(json.dumps({"seconds": time.perf_counter() - start,
                  "maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _mib(maxrss: int) -> float:
    return maxrss / (2**20 if sys.platform == "darwin" else 2**10)


def _shipyard_child(code: str, *args: str, cwd: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=3600)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"shipyard child failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _measured(python: str, code: str, *args: str, cwd: Path) -> dict[str, float]:
    """``python -c code args`` (which prints JSON), with its own peak RSS as ``maxrss``."""
    return _shipyard_child(MEASURED, python, "-c", code, *args, cwd=cwd)


def fill_shipyard(folder: Path, values: int) -> tuple[str, float]:
    """A workspace in ``folder`` with one run of ``values`` values, flushed as the SDK does."""
    from shipyard.context import open_context
    from shipyard.core.principal import LOCAL_OWNER
    from shipyard.tracking.entities import LogBatch, Resources, RunSpec, RunStatus
    from shipyard.tracking.service import TrackingService
    from shipyard.workspace.create import init_workspace

    init_workspace(folder, LOCAL_OWNER, project="bench")
    ctx = open_context(folder, env={})
    service = TrackingService(ctx.db)
    run_id = service.create_run(LOCAL_OWNER, "bench", RunSpec("scale", "history")).id
    start = time.perf_counter()
    for lo in range(0, values, FLUSH):
        rows = [
            (run_id, KEY, 1.0 / (i + 1), i, BASE_MS + i) for i in range(lo, min(values, lo + FLUSH))
        ]
        service.log(LOCAL_OWNER, LogBatch(metrics=rows))
    service.end_run(LOCAL_OWNER, run_id, RunStatus.FINISHED, Resources(1.0, 1.0))
    seconds = time.perf_counter() - start
    ctx.close()
    return run_id, seconds


def measure_history(args: argparse.Namespace) -> list[Row]:
    """Reading one metric's whole history of ``args.values`` values, both tools."""
    values: int = args.values
    folder = Path(tempfile.mkdtemp(prefix="shipyard-bench-history-"))
    (folder / "shipyard").mkdir()
    (folder / "mlflow").mkdir()
    print(f"history: filling {values:,} values into each store…", flush=True)
    run_id, fill_s = fill_shipyard(folder / "shipyard", values)
    filled = json.loads(
        run_peer_python(MLFLOW_FILL, str(folder / "mlflow"), str(values), str(BASE_MS))
    )
    print(f"  filled (Shipyard {fill_s:.1f} s through its writer; MLflow {filled['fill_s']:.1f} s)",
          flush=True)  # fmt: skip
    print("history: MLflow get_metric_history…", flush=True)
    theirs = _measured(str(peer_bin("python")), MLFLOW_READ, str(folder / "mlflow"),
                       filled["run_id"], cwd=folder)  # fmt: skip
    where = folder / "shipyard"
    ours: dict[str, dict[str, float]] = {}
    for how in ("list", "pages", "summary"):
        print(f"history: Shipyard {how}…", flush=True)
        ours[how] = _measured(sys.executable, SHIPYARD_READ, how, run_id, cwd=where)
    command = [sys.executable, "-c", "from shipyard.cli.main import main; main()",
               "runs", "history", run_id, KEY]  # fmt: skip
    for name, extra in (("json", ["--json"]), ("table", [])):
        print(f"history: shipyard runs history {' '.join(extra)}…", flush=True)
        ours[name] = _shipyard_child(SHIPYARD_COMMAND, *command, *extra, cwd=where)
    for how in ("list", "pages"):
        if ours[how]["count"] != theirs["count"]:
            print(f"note: counts differ ({how}: {ours[how]['count']} vs {theirs['count']})")

    def seconds(figure: dict[str, float]) -> str:
        return f"{figure['seconds']:.2f}"

    def mib(figure: dict[str, float]) -> str:
        return f"{_mib(int(figure['maxrss'])):,.0f}"

    rows: list[Row] = []
    for how, label in (
        ("list", "metric_history (a list)"),
        ("pages", "iter_metric_history (pages)"),
    ):
        rows.append(
            [
                f"read {values:,} values: Shipyard {label} vs get_metric_history (s)",
                seconds(ours[how]),
                seconds(theirs),
                ratio(ours[how]["seconds"], theirs["seconds"], higher_is_better=False),
            ]
        )
        rows.append(
            [
                "  peak RSS of that process (MiB)",
                mib(ours[how]),
                mib(theirs),
                ratio(ours[how]["maxrss"], theirs["maxrss"], higher_is_better=False),
            ]
        )
    rows.append(
        [
            f"downsample {values:,} values to 500 buckets in the store vs the full read (s)",
            seconds(ours["summary"]),
            seconds(theirs),
            ratio(ours["summary"]["seconds"], theirs["seconds"], higher_is_better=False),
        ]
    )
    rows.append(
        [
            "  peak RSS of that process (MiB)",
            mib(ours["summary"]),
            mib(theirs),
            ratio(ours["summary"]["maxrss"], theirs["maxrss"], higher_is_better=False),
        ]
    )
    for name, label in (("json", "--json"), ("table", "(default table)")):
        rows.append(
            [
                f"`shipyard runs history {label}`, whole command (s / MiB)",
                f"{seconds(ours[name])} / {mib(ours[name])}",
                "-",
                "-",
            ]
        )
    return rows  # fmt: skip


SHIPYARD_LOOP = r"""
import json, os, sys, time
os.chdir(sys.argv[1])
runs = int(sys.argv[2])
import shipyard
with shipyard.start_run(experiment="warm-up") as run:  # the first run pays the imports
    run.log_metric("loss", 0.0)
start, cpu = time.perf_counter(), time.process_time()
for i in range(runs):
    run = shipyard.start_run(experiment="loop")
    run.log_metric("loss", float(i))
    run.end()
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}))
"""

SHIPYARD_FIRST_SEARCH = r"""
import json, os, sys, time
os.chdir(sys.argv[1])
start = time.perf_counter()
import shipyard
rows = len(shipyard.search_runs(max_results=20))
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""

MLFLOW_LOOP = r"""
import json, logging, sys, time, warnings
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
import mlflow
folder, runs = sys.argv[1], int(sys.argv[2])
mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
mlflow.set_experiment("loop")
with mlflow.start_run():  # the first run pays the imports and the schema
    mlflow.log_metric("loss", 0.0)
start, cpu = time.perf_counter(), time.process_time()
for i in range(runs):
    mlflow.start_run()
    mlflow.log_metric("loss", float(i))
    mlflow.end_run()
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}))
"""

MLFLOW_FIRST_SEARCH = r"""
import json, logging, sys, time, warnings
start = time.perf_counter()
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
import mlflow
mlflow.set_tracking_uri(f"sqlite:///{sys.argv[1]}/mlflow.db")
rows = len(mlflow.search_runs(experiment_names=["loop"], max_results=20))
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""


def sdk_loop(args: argparse.Namespace) -> list[Row]:
    """Per-run overhead of the SDK embedded, and the first search_runs of a fresh process."""
    from shipyard.core.principal import LOCAL_OWNER
    from shipyard.workspace.create import init_workspace

    runs: int = args.runs
    theirs_runs = min(runs, 200)
    folder = Path(tempfile.mkdtemp(prefix="shipyard-bench-loop-"))
    (folder / "shipyard").mkdir()
    (folder / "mlflow").mkdir()
    subprocess.run(["git", "init", "-q", str(folder / "shipyard")], check=True)
    init_workspace(folder / "shipyard", LOCAL_OWNER, project="bench")
    print(f"sdk-loop: {runs:,} runs with Shipyard, {theirs_runs:,} with MLflow…", flush=True)
    ours = _shipyard_child(SHIPYARD_LOOP, str(folder / "shipyard"), str(runs), cwd=folder)
    theirs = json.loads(run_peer_python(MLFLOW_LOOP, str(folder / "mlflow"), str(theirs_runs)))
    print("sdk-loop: first search_runs of a fresh process…", flush=True)
    our_search = _shipyard_child(SHIPYARD_FIRST_SEARCH, str(folder / "shipyard"), cwd=folder)
    their_search = json.loads(run_peer_python(MLFLOW_FIRST_SEARCH, str(folder / "mlflow")))
    ours_ms, theirs_ms = 1000 * ours["seconds"] / runs, 1000 * theirs["seconds"] / theirs_runs
    ours_cpu, theirs_cpu = 1000 * ours["cpu"] / runs, 1000 * theirs["cpu"] / theirs_runs
    return [
        ["start_run / log_metric / end, embedded (ms per run)", f"{ours_ms:.2f}",
         f"{theirs_ms:.2f}", ratio(ours_ms, theirs_ms, higher_is_better=False)],
        ["  CPU time of the loop (ms per run)", f"{ours_cpu:.2f}", f"{theirs_cpu:.2f}",
         ratio(ours_cpu, theirs_cpu, higher_is_better=False)],
        ["first search_runs (20 rows) of a fresh process, imports included (s)",
         f"{our_search['seconds']:.2f}", f"{their_search['seconds']:.2f}",
         ratio(our_search["seconds"], their_search["seconds"], higher_is_better=False)],
    ]  # fmt: skip


def server_load(args: argparse.Namespace) -> list[Row]:
    """Runs/s, p50/p99 of one run and server CPU per run, Shipyard's server vs MLflow's."""
    from tracking_load import mlflow_load, shipyard_load

    rows: list[Row] = []
    for clients in args.clients:
        print(f"server-load: {clients} clients for {args.seconds:g} s each…", flush=True)
        ours, theirs = shipyard_load(clients, args.seconds), mlflow_load(clients, args.seconds)
        for label, key, fmt, higher in (
            ("runs per second", "runs_per_s", "{:.1f}", True),
            ("  p50 of one run (s)", "p50_s", "{:.2f}", False),
            ("  p99 of one run (s)", "p99_s", "{:.2f}", False),
            ("  server CPU per run (ms)", "cpu_ms_per_run", "{:.1f}", False),
            ("  runs that failed", "failed", "{:.0f}", False),
        ):
            name = f"{clients} clients: {label.strip()}" if key == "runs_per_s" else label
            rows.append([name, fmt.format(ours[key]), fmt.format(theirs[key]),
                         ratio(ours[key], theirs[key], higher_is_better=higher)])  # fmt: skip
    return rows


MEASURES: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "history": measure_history,
    "sdk-loop": sdk_loop,
    "server-load": server_load,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--measure", action="append", choices=sorted(MEASURES),
                        help="run only this measure (repeatable; default: all)")  # fmt: skip
    parser.add_argument("--values", type=int, default=1_000_000,
                        help="values in the history of the history measure")  # fmt: skip
    parser.add_argument("--runs", type=int, default=1000,
                        help="runs of the sdk-loop measure's loop")  # fmt: skip
    parser.add_argument("--clients", type=int, nargs="+", default=[32, 64],
                        help="client processes of the server-load measure")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="how long each server-load round drives the server")  # fmt: skip
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name in args.measure or list(MEASURES):
        rows.extend(MEASURES[name](args))
    print()
    print_table(["measure", "Shipyard", "MLflow", "Shipyard is"], rows)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
