"""A real Shipyard serving the UI for browser tests: a workspace seeded with runs and a
model (hostile names included), served by ``shipyard ui`` or ``shipyard server``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

HOSTILE = "<img src=x onerror=alert(1)>"
"""A run name, tag and alias reason that must show as these characters, never run."""
PASSWORD = "correct horse battery"
SHIPYARD = str(Path(sys.executable).with_name("shipyard"))

SEED = f"""
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
import shipyard
from shipyard.context import open_context
from shipyard.registry.aliases import AliasService

rng = np.random.default_rng(0)
frame = pd.DataFrame({{"x": rng.normal(size=60), "y": rng.normal(size=60)}})
labels = (frame["x"] > 0).astype(int)
for i in range(30):
    with shipyard.start_run("churn", f"lr {{i}}", tags={{"team": "growth"}}) as run:
        run.log_params({{"C": i / 10, "model": "lr" if i % 2 else "tree"}})
        for step in range(200):
            run.log_metric("loss", 1 / (step + 1 + i))
        run.log_metric("accuracy", 0.5 + i / 100)
        if i in (3, 7):
            run.log_model(LogisticRegression(C=1 + i).fit(frame, labels), "churn",
                          input_example=frame.head(5))
with shipyard.start_run("churn", {HOSTILE!r}, tags={{"note": "<script>alert(2)</script>"}}) as run:
    run.log_param("html", "<b>bold</b>")
with open_context() as ctx:
    AliasService(ctx.db).set_alias(ctx.principal, ctx.project, "churn", "production", 1)
"""


@dataclass
class Live:
    url: str
    """Where a browser starts: ``shipyard ui``'s one-time link, or the server's root."""
    base: str
    workspace: Path


def seed_workspace(root: Path) -> Path:
    """A git repository with a workspace holding 31 runs and a model with two versions."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([SHIPYARD, "init", "-p", "demo"], cwd=root, check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", SEED], cwd=root, check=True, capture_output=True)
    return root


def add_user(root: Path, name: str, role: str) -> None:
    code = (
        "from shipyard.context import open_context;"
        "from shipyard.auth.service import AuthService;"
        "from shipyard.core.principal import LOCAL_OWNER, Role;"
        "ctx = open_context();"
        f"AuthService(ctx.db).add_user(LOCAL_OWNER, {name!r}, password={PASSWORD!r},"
        f" role=Role.parse({role!r}), project='demo')"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, capture_output=True)


@contextmanager
def serving(root: Path, *args: str) -> Iterator[Live]:
    """``shipyard ARGS`` in ``root`` until the block ends; waits (bounded) for its link."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([SHIPYARD, *args], cwd=root, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        url = _wait_for_link(process)
        base = re.sub(r"^(https?://[^/]+).*$", r"\1", url)
        _wait_until_up(base, process)
        yield Live(url, base, root)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def _wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    """``shipyard server`` prints its address before it binds: wait for an answer."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/health/live", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {base} (exit code {process.poll()})")


def _wait_for_link(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + 120  # a busy machine starts slowly; never a fast-path test
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"(https?://\S+)", line)
        if found:
            return found.group(1)
    raise AssertionError("the server printed no address:\n" + "".join(seen))


def assert_clean(result: dict[str, object]) -> None:
    """No script error and no policy violation in a browser run. A 4xx the page asked
    for and showed (a missing run, a refused write) is logged by chromium as a failed
    resource: that one is the page's own business."""
    errors = [e for e in result["console_errors"]  # type: ignore[attr-defined]
              if "the server responded with a status of 4" not in e]  # fmt: skip
    assert errors == []
    assert result["csp_violations"] == []


def requires_build() -> pytest.MarkDecorator:
    """Skip browser tests of the app where ``scripts/build-ui`` has not run."""
    from shipyard.ui.assets import STATIC

    return pytest.mark.skipif(not (STATIC / "index.html").is_file(), reason="run scripts/build-ui")
