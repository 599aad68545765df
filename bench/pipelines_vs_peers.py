"""Pipelines: Shipyard's local executor against Prefect 3 and ``dvc repro``, in one run.

Run: .venv/bin/python bench/pipelines_vs_peers.py [--steps 100]

Each tool runs, through its usual entry point and in a fresh folder:

1. a chain of N no-op steps (each takes the previous one's output);
2. N independent no-op steps;
3. the chain again, unchanged (Shipyard: every step from its cache; DVC: every
   stage unchanged; Prefect has no cross-run cache by default and is not timed);

end to end, as a user sees it (process start-up included), after one untimed
warm-up run in the same folder (a workspace's, or Prefect's database, first
set-up). The per-step overhead is what one more step costs: ``(time of N
steps - time of 1 step) / (N - 1)``, timed inside one process for Shipyard and
Prefect (the best of two of each, every Shipyard step a cache miss), so that
what a run costs once (start-up, imports, Prefect's temporary server, whose
start varies by seconds) drops out; DVC's, whose start-up is steady, from its
command line. Then the scheduling latency: from a ``shipyard scheduler`` pass that finds a new
dataset version to the first step of the triggered pipeline starting.
Prefect and DVC come from bench/.venv-peers (bench/setup).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import peer_bin, print_table, ratio  # type: ignore[import-not-found]

SHIPYARD = Path(sys.executable).parent / "shipyard"

SHIPYARD_FLOWS = """
import time
from pathlib import Path

from shipyard import pipeline, step


@step
def noop(i: int, previous: object = None) -> int:
    return i


@step
def first(i: int) -> float:
    Path("first-step.txt").write_text(str(time.time()))
    return float(i)


@pipeline
def chain(n: int = 100) -> None:
    out = None
    for i in range(n):
        out = noop(i, out)


@pipeline
def salted(n: int = 100, salt: int = 0) -> None:
    out = None
    for i in range(n):
        out = noop(i + salt * n, out)


@pipeline
def fan(n: int = 100) -> None:
    for i in range(n):
        noop(i)


@pipeline
def triggered() -> None:
    first(1)
"""

PREFECT_FLOWS = """
import sys
from prefect import flow, task


@task
def noop(i, previous=None):
    return i


@flow
def chain(n):
    out = None
    for i in range(n):
        out = noop(i, out)


@flow
def fan(n):
    futures = [noop.submit(i) for i in range(n)]
    for future in futures:
        future.result()


if sys.argv[1] == "marginal":  # one process: the cost of a step, start-up apart
    import json
    import time

    n, best = int(sys.argv[2]), {}
    chain(1)
    for size in (1, n, 1, n):
        start = time.perf_counter()
        chain(size)
        took = time.perf_counter() - start
        best[size] = min(best.get(size, took), took)
    print(json.dumps({"per_step": (best[n] - best[1]) / (n - 1)}))
else:
    {"chain": chain, "fan": fan}[sys.argv[1]](int(sys.argv[2]))
"""

SHIPYARD_MARGINAL = """
import json, sys, time
sys.path.insert(0, ".")
import flows
from shipyard.context import open_context
from shipyard.pipelines import run_pipeline

if __name__ == "__main__":
    n, best, salt = int(sys.argv[1]), {}, 1000
    with open_context() as ctx:
        run_pipeline(flows.salted, {"n": 1, "salt": salt}, context=ctx)
        for size in (1, n, 1, n):
            salt += 1  # new cache keys: every step runs, as on a first run
            start = time.perf_counter()
            run_pipeline(flows.salted, {"n": size, "salt": salt}, context=ctx)
            took = time.perf_counter() - start
            best[size] = min(best.get(size, took), took)
    print(json.dumps({"per_step": (best[n] - best[1]) / (n - 1)}))
"""


def timed(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} failed in {cwd}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    return took


def shipyard_figures(root: Path, steps: int) -> dict[str, float]:
    folder = root / "shipyard"
    folder.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run([str(SHIPYARD), "init"], cwd=folder, check=True, capture_output=True)
    (folder / "flows.py").write_text(SHIPYARD_FLOWS)

    def run(name: str, n: int) -> float:
        return timed(
            [str(SHIPYARD), "pipeline", "run", f"flows:{name}", "--param", f"n={n}"], folder
        )

    run("fan", 1)  # warm-up, not timed: the first run of a workspace pays for its set-up
    figures = {
        "chain_1": run("chain", 1),
        "chain": run("chain", steps),
        "chain_cached": run("chain", steps),
        "fan": run("fan", steps),
    }
    figures["per_step"] = _marginal([sys.executable, "-c", SHIPYARD_MARGINAL, str(steps)], folder)
    figures["latency"] = _latency(folder)
    return figures


def _marginal(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed in {cwd}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["per_step"])


def _latency(folder: Path) -> float:
    """A scheduler pass that sees a new dataset version, to the first step starting."""
    config = folder / ".shipyard" / "config.toml"
    config.write_text(config.read_text() + '\n[pipelines.t]\npipeline = "flows:triggered"\n'
                      'on_dataset = ["sensors.csv"]\n')  # fmt: skip
    data = folder / "sensors.csv"
    data.write_text("a\n1\n")
    subprocess.run([str(SHIPYARD), "data", "add", "sensors.csv"], cwd=folder, check=True,
                   capture_output=True)  # fmt: skip
    code = (
        "import time, sys; sys.path.insert(0, '.');"
        "from shipyard.context import open_context;"
        "from shipyard.pipelines.scheduler import Scheduler;"
        "ctx = open_context(); s = Scheduler(ctx); s.tick();"
        "open('sensors.csv', 'a').write('2\\n');"
        "import subprocess; subprocess.run([sys.argv[1], 'data', 'add', 'sensors.csv'], check=True,"
        " capture_output=True);"
        "start = time.time(); s.tick(); print(start)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(SHIPYARD)], cwd=folder,
                          capture_output=True, text=True, check=True)  # fmt: skip
    start = float(done.stdout.strip().splitlines()[-1])
    return float((folder / "first-step.txt").read_text()) - start


def prefect_figures(root: Path, steps: int) -> dict[str, float]:
    folder = root / "prefect"
    folder.mkdir()
    (folder / "flows.py").write_text(PREFECT_FLOWS)
    python = str(peer_bin("python"))
    env = {
        **os.environ,
        "PREFECT_HOME": str(folder / ".prefect"),
        "PREFECT_LOGGING_LEVEL": "ERROR",
        # its temporary API server migrates a fresh database on first start: allow for it
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
    }
    # warm-up, not timed: the first flow creates and migrates Prefect's database
    timed([python, "flows.py", "fan", "1"], folder, env)
    return {
        "chain_1": timed([python, "flows.py", "chain", "1"], folder, env),
        "chain": timed([python, "flows.py", "chain", str(steps)], folder, env),
        "fan": timed([python, "flows.py", "fan", str(steps)], folder, env),
        "per_step": _marginal([python, "flows.py", "marginal", str(steps)], folder, env),
    }


def dvc_figures(root: Path, steps: int) -> dict[str, float]:
    def project(name: str, n: int, chained: bool) -> Path:
        folder = root / name
        folder.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
        subprocess.run([str(peer_bin("dvc")), "init", "-q"], cwd=folder, check=True)
        stages = {}
        for i in range(n):
            stage = {"cmd": f"echo {i} > out{i}", "outs": [f"out{i}"]}
            if chained and i:
                stage["deps"] = [f"out{i - 1}"]
            stages[f"s{i}"] = stage
        (folder / "dvc.yaml").write_text(json.dumps({"stages": stages}))
        return folder

    dvc = str(peer_bin("dvc"))
    one, chain, fan = (
        project("dvc1", 1, True),
        project("dvc", steps, True),
        project("dvcfan", steps, False),
    )
    return {
        "chain_1": timed([dvc, "repro"], one),
        "chain": timed([dvc, "repro"], chain),
        "chain_cached": timed([dvc, "repro"], chain),
        "fan": timed([dvc, "repro"], fan),
    }


def per_step(figures: dict[str, float], steps: int) -> float:
    if "per_step" in figures:  # measured in one process
        return figures["per_step"]
    return (figures["chain"] - figures["chain_1"]) / (steps - 1)


def _step_ratio(ours: float, theirs: float) -> str:
    """Prefect's marginal step is about nothing (an in-process call, recorded later):
    a ratio to a figure within its noise means nothing either."""
    if theirs < 0.0005:
        return "n/a (peer ~0)"
    return str(ratio(ours, theirs, higher_is_better=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="shipyard-bench-pipelines-"))
    try:
        ours = shipyard_figures(root, args.steps)
        prefect = prefect_figures(root, args.steps)
        dvc = dvc_figures(root, args.steps)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n = args.steps
    rows = [
        [f"chain of {n} no-op steps (s)", f"{ours['chain']:.2f}", f"{prefect['chain']:.2f}",
         f"{dvc['chain']:.2f}", ratio(ours["chain"], prefect["chain"], higher_is_better=False),
         ratio(ours["chain"], dvc["chain"], higher_is_better=False)],
        ["per-step overhead (ms)", f"{per_step(ours, n) * 1000:.1f}",
         f"{per_step(prefect, n) * 1000:.2f}", f"{per_step(dvc, n) * 1000:.1f}",
         _step_ratio(per_step(ours, n), per_step(prefect, n)),
         ratio(per_step(ours, n), per_step(dvc, n), higher_is_better=False)],
        [f"{n} independent no-op steps (s)", f"{ours['fan']:.2f}", f"{prefect['fan']:.2f}",
         f"{dvc['fan']:.2f}", ratio(ours["fan"], prefect["fan"], higher_is_better=False),
         ratio(ours["fan"], dvc["fan"], higher_is_better=False)],
        ["unchanged chain again (s)", f"{ours['chain_cached']:.2f}", "-",
         f"{dvc['chain_cached']:.2f}", "-",
         ratio(ours["chain_cached"], dvc["chain_cached"], higher_is_better=False)],
        ["trigger to first step (s)", f"{ours['latency']:.2f}", "-", "-", "-", "-"],
    ]  # fmt: skip
    print_table(["", "Shipyard", "Prefect 3", "dvc repro", "vs Prefect", "vs DVC"], rows)


if __name__ == "__main__":
    main()
