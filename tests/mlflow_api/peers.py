"""The real MLflow client and server, from bench/.venv-peers (never Shipyard's own venv)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serverkit import free_port, stop_server

PEERS = Path(__file__).resolve().parents[2] / "bench" / ".venv-peers" / "bin"
SCRIPT = Path(__file__).with_name("mlflow_script.py")


def peer_python() -> Path:
    """The peers' interpreter, or a skip saying how to make it."""
    python = PEERS / "python"
    if not python.exists():
        pytest.skip("bench/.venv-peers is missing: run bench/setup to install the mlflow client")
    return python


def client_env(url: str, token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHIPYARD_", "MLFLOW_"))}
    env |= {"MLFLOW_TRACKING_URI": url, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    if token is not None:
        env["MLFLOW_TRACKING_TOKEN"] = token
    return env


def run_mlflow(code_or_script: str | Path, url: str, token: str | None, *args: str,
               cwd: Path) -> dict[str, Any]:  # fmt: skip
    """Run MLflow code (a file, or Python text) with the real client; its last printed line
    is JSON. Fails the test with the client's stderr when it exits non-zero."""
    target = [str(code_or_script)] if isinstance(code_or_script, Path) else ["-c", code_or_script]
    done = subprocess.run(
        [str(peer_python()), *target, *args], env=client_env(url, token), cwd=cwd,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def mlflow_server(folder: Path) -> Iterator[str]:
    """``mlflow server`` with a SQLite backend and served artifacts, on a free port."""
    port, log = free_port(), folder / "mlflow-server.log"
    command = [str(PEERS / "mlflow"), "server", "--backend-store-uri",
               f"sqlite:///{folder / 'mlflow.db'}", "--artifacts-destination",
               str(folder / "artifacts"), "--serve-artifacts", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        stop_server(process)
