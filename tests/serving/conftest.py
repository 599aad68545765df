"""Serving fixtures: small real models, versions folders, and servers on 127.0.0.1.

Models are trained once per session on a slice of ``load_breast_cancer`` (fast)
and saved with ``shipyard.models.save_model``. ``serve(options)`` starts the
serving app under uvicorn in a thread on a free port and stops it after the
test; ``Client`` is an httpx client bound to it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
import uvicorn

from shipyard.context import Context
from shipyard.serving.app import HotPath, create_serving_app
from shipyard.serving.options import ServeOptions
from tests.serverkit import free_port


@dataclass(frozen=True)
class Data:
    frame: pd.DataFrame
    labels: np.ndarray

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def split(self, start: int, stop: int) -> dict[str, Any]:
        rows = self.frame.iloc[start:stop]
        return {"columns": self.columns, "data": rows.to_numpy().tolist()}


@pytest.fixture(scope="session")
def data() -> Data:
    from sklearn.datasets import load_breast_cancer

    frame, labels = load_breast_cancer(return_X_y=True, as_frame=True)
    return Data(frame.iloc[:, :8], labels.to_numpy())


@dataclass(frozen=True)
class Models:
    """Two versions of one model that answer differently, and their training data."""

    logistic: Path
    constant: Path
    logistic_model: Any


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory, data: Data) -> Models:
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    from shipyard.models import save_model

    root = tmp_path_factory.mktemp("models")
    logistic = LogisticRegression(max_iter=2000).fit(data.frame, data.labels)
    save_model(logistic, root / "logistic", input_example=data.frame.head(20))
    constant = DummyClassifier(strategy="constant", constant=7).fit(data.frame, data.labels * 0 + 7)
    save_model(constant, root / "constant", input_example=data.frame.head(20))
    return Models(root / "logistic", root / "constant", logistic)


def versions_folder(root: Path, models: Models, aliases: dict[str, str]) -> Path:
    """``root/churn`` with 1/ (logistic), 2/ (constant: always 7) and aliases.json."""
    folder = root / "churn"
    folder.mkdir()
    shutil.copytree(models.logistic, folder / "1")
    shutil.copytree(models.constant, folder / "2")
    move_aliases(folder, aliases)
    return folder


def move_aliases(folder: Path, aliases: dict[str, str]) -> None:
    """Rewrite aliases.json atomically, as a registry moving an alias would."""
    temporary = folder / "aliases.json.tmp"
    temporary.write_text(json.dumps(aliases))
    temporary.replace(folder / "aliases.json")


@dataclass
class Server:
    app: HotPath
    port: int
    client: httpx.Client

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def serving(self) -> Any:
        return self.app.state.serving


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """``serve(options, ctx=None)`` → a running :class:`Server` (stopped after the test)."""
    running: list[tuple[uvicorn.Server, threading.Thread, httpx.Client]] = []

    def start(options: ServeOptions, ctx: Context | None = None) -> Server:
        app = create_serving_app(options, ctx=ctx)
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the serving app did not start")
            time.sleep(0.02)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        running.append((server, thread, client))
        return Server(app, port, client)

    yield start
    for server, thread, client in running:
        client.close()
        server.should_exit = True
        thread.join(timeout=20)


def sweep_later(server: Server, seconds: float) -> None:
    """Sweep the server's model pool as if ``seconds`` had passed since now (no waiting)."""
    serving = server.serving
    loop = serving._tasks[0].get_loop()  # the sweeper's: the pool lives on that loop
    later = time.monotonic() + seconds
    sweep = serving.pool.sweep(later, in_use=serving._in_use)
    asyncio.run_coroutine_threadsafe(sweep, loop).result(timeout=60)


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    """Poll ``condition`` until true (bounded); fails the test when it never becomes true."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the condition did not become true in time")
        time.sleep(0.05)


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus exposition text (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            return float(value)
    return 0.0
