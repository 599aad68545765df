"""Fixtures of the importer tests: MLflow stores made by the real ``mlflow`` client."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

PEERS_PYTHON = Path(__file__).resolve().parents[2] / "bench" / ".venv-peers" / "bin" / "python"
SCRIPT = Path(__file__).with_name("mlflow_store.py")


def make_store(folder: Path, uri: str) -> dict[str, Any]:
    if not PEERS_PYTHON.exists():
        pytest.skip("the real mlflow client lives in bench/.venv-peers: run bench/setup")
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true", "GIT_PYTHON_REFRESH": "quiet"}
    done = subprocess.run(
        [str(PEERS_PYTHON), str(SCRIPT), uri],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("mlflow-stores")
    return {
        "sqlite": (
            f"sqlite:///{root}/db/mlflow.db",
            make_store(root / "db", f"sqlite:///{root}/db/mlflow.db"),
        ),
        "folder": (str(root / "files" / "mlruns"), make_store(root / "files", "./mlruns")),
    }
