"""Helpers shared by the bench/ scripts: the peers' venv, timing, result tables.

Benchmarks run Shipyard in this interpreter and each peer (DVC, MLflow,
Evidently) in bench/.venv-peers, made by ``bench/setup``, in the same run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PEERS_VENV = BENCH_DIR / ".venv-peers"


def peer_bin(name: str) -> Path:
    """Path of a peer's executable (``python``, ``dvc``, ``mlflow``…) in the peers' venv."""
    path = PEERS_VENV / "bin" / name
    if not path.exists():
        sys.exit(f"{path} is missing: run bench/setup first to install the peers")
    return path


def run_peer_python(code: str, *args: str, timeout: float = 1800) -> str:
    """Run ``code`` with the peers' Python and return its stdout (raises on failure)."""
    done = subprocess.run(
        [str(peer_bin("python")), "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"peer script failed:\n{done.stderr[-4000:]}")
    return done.stdout


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds taken by ``fn()``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ratio(ours: float, theirs: float, *, higher_is_better: bool) -> str:
    """How many times better Shipyard is, as ``12.3×`` (below 1 means worse)."""
    if ours == 0 or theirs == 0:
        return "n/a"
    value = ours / theirs if higher_is_better else theirs / ours
    return f"{value:.1f}×"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, ready to paste into bench/RESULTS.md."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """moto's standalone S3 server on a free loopback port; (process, endpoint URL)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("moto server did not start")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait up to 120 s until ``url`` answers; exit with the log's tail if the server died."""
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)


def start_shipyard_server(
    folder: Path, db: str, *extra: str
) -> tuple[subprocess.Popen[bytes], str, dict[str, str], str]:
    """``shipyard server`` on ``db`` (upgraded, with an admin ``bench``), ready to answer.

    Returns the process, its URL, the environment it runs in (no ``SHIPYARD_*`` of the
    caller's) and the admin's token; ``extra`` goes to ``shipyard server``."""
    shipyard = str(Path(sys.executable).parent / "shipyard")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}

    def cli(*args: str) -> str:
        done = subprocess.run([shipyard, "--uri", db, *args], env=env, check=True,
                              capture_output=True, text=True)  # fmt: skip
        return done.stdout

    cli("db", "upgrade")
    cli("users", "add", "bench", "--role", "admin", "--no-password")
    token = str(json.loads(cli("tokens", "create", "--user", "bench", "--json"))["token"])
    port, log = free_port(), folder / "shipyard-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [shipyard, "server", "--db", db, "--store", str(folder / "objects"), "--port",
             str(port), *extra], env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_up(f"{url}/health", process, log)
    return process, url, env, token


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process``; kill it if it has not ended within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
