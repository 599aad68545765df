"""Four processes register versions of one model at once: numbers stay unique and gap-free."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from shipyard.context import Context
from shipyard.core.model_ref import ModelRef
from shipyard.core.settings import build_settings
from shipyard.models import save_model
from shipyard.registry.service import RegistryService
from shipyard.store.db import Database

PROCESSES = 4
EACH = 2

CHILD = f"""
import json, os, sys, time
from pathlib import Path
from shipyard.context import open_context
from shipyard.registry.publish import publish_directory

folder, model_dir, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
flags = json.loads(sys.argv[4])
with open_context(folder, flags=flags) as ctx:
    ctx.db  # open (and check) the store before the start signal
    Path(f"{{go}}.ready-{{os.getpid()}}").touch()
    while not go.exists():
        time.sleep(0.005)
    numbers = [publish_directory(ctx, model_dir, "churn").version for _ in range({EACH})]
print(json.dumps(numbers))
"""


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    X = np.random.default_rng(0).normal(size=(60, 4))
    target = tmp_path_factory.mktemp("model") / "model"
    save_model(LogisticRegression().fit(X, X[:, 0] > 0), target, input_example=X[:5])
    return target


@pytest.mark.slow
def test_four_processes_register_at_once(
    database: Database, model_dir: Path, workspace: Path, tmp_path: Path
) -> None:
    if database.dialect == "sqlite":
        flags: dict[str, str] = {}  # the workspace's own SQLite file and object folder
        ctx = Context(build_settings(workspace=workspace))
        db_for_reading = Database(ctx.metadata_uri)
    else:
        uri = database.url.render_as_string(hide_password=False)
        flags = {"store.uri": uri, "objects.path": str(tmp_path / "objects")}
        db_for_reading = database
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(workspace),
                str(model_dir),
                str(go),
                json.dumps(flags),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(PROCESSES)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("go.ready-*"))) < PROCESSES:  # every store is open
            if time.monotonic() > deadline or any(c.poll() is not None for c in children):
                break
            time.sleep(0.02)
        go.touch()
        results = [child.communicate(timeout=120) for child in children]
    finally:  # never leave a child (or its pipes) behind for the next test
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    numbers = []
    for child, (out, err) in zip(children, results, strict=True):
        assert child.returncode == 0, err[-2000:]
        numbers.extend(json.loads(out))
    assert sorted(numbers) == list(range(1, PROCESSES * EACH + 1))  # unique and gap-free
    registry = RegistryService(db_for_reading)
    from shipyard.core.principal import LOCAL_OWNER

    project = "demo"  # the workspace's project, on either store
    versions = registry.list_versions(LOCAL_OWNER, project, "churn")
    assert [v.version for v in versions] == list(range(PROCESSES * EACH, 0, -1))
    latest = registry.get_version(LOCAL_OWNER, project, ModelRef("churn", alias="latest"))
    assert latest.version == PROCESSES * EACH
    if db_for_reading is not database:
        db_for_reading.dispose()
