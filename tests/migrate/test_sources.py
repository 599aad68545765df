"""``shipyard migrate mlflow`` from a running ``mlflow server``, into a team server, and
what it answers to sources that are not MLflow stores."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import Result

import shipyard
from shipyard.core.settings import build_settings
from tests.migrate.checks import assert_runs_equal, imported
from tests.migrate.conftest import PEERS_PYTHON
from tests.serverkit import TeamServer, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mlflow_url(stores: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MLflow's own server over the SQLite store (its artifacts are local paths)."""
    uri, _ = stores["sqlite"]
    port, log = free_port(), tmp_path_factory.mktemp("mlflow-server") / "server.log"
    command = [str(PEERS_PYTHON.with_name("mlflow")), "server", "--backend-store-uri", uri,
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
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
        process.terminate()
        process.wait(timeout=30)


def test_an_mlflow_server_imports_like_its_store(
    mlflow_url: str, stores: dict[str, Any], workspace: Path, cli: Callable[..., Result]
) -> None:
    _, expected = stores["sqlite"]
    result = cli("migrate", "mlflow", mlflow_url)
    assert result.exit_code == 0, result.output
    context = shipyard.open_context(workspace)
    assert_runs_equal(context, imported(context), expected)
    (model,) = expected["models"]
    versions = context.registry.list_versions(context.principal, context.project, model["name"])
    assert sorted(v.version for v in versions) == [n for n, _ in model["versions"]]
    assert "champion" in next(v for v in versions if v.version == 1).aliases


def test_a_team_server_receives_the_import(
    team_server: TeamServer,
    stores: dict[str, Any],
    workspace: Path,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = f"migrated-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("SHIPYARD_TOKEN", team_server.team.tokens["root"])
    uri, expected = stores["sqlite"]
    result = cli("--uri", team_server.url, "--project", project, "migrate", "mlflow", uri)
    assert result.exit_code == 0, result.output
    flags = {"store.uri": team_server.url, "client.token": team_server.team.tokens["root"],
             "project.name": project}  # fmt: skip
    context = shipyard.Context(build_settings(env={}, flags=flags))
    assert_runs_equal(context, imported(context), expected)
    again = cli("--uri", team_server.url, "--project", project, "migrate", "mlflow", uri)
    assert "imported 0 runs (3 already there)" in again.output


def test_a_viewer_may_not_import_into_a_team_server(
    team_server: TeamServer,
    stores: dict[str, Any],
    workspace: Path,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHIPYARD_TOKEN", team_server.team.tokens["viewer"])
    uri, _ = stores["sqlite"]
    result = cli("--uri", team_server.url, "--project", "churn", "migrate", "mlflow", uri)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("sqlite:///{tmp}/missing.db", "no MLflow store at"),
        ("sqlite:///{tmp}/garbage.db", "is not a readable SQLite database"),
        ("sqlite:///{tmp}/other.db", "is not an MLflow tracking store (no experiments"),
        ("{tmp}/empty", "is not an MLflow mlruns folder"),
        ("{tmp}/nothing-here", "no MLflow store at"),
        ("http://127.0.0.1:{port}", "cannot reach the MLflow server http://127.0.0.1:"),
        ("s3://bucket/mlruns", "cannot import from s3: stores"),
    ],
)
def test_what_is_not_an_mlflow_store_is_one_line(
    source: str, message: str, tmp_path: Path, workspace: Path, cli: Callable[..., Result]
) -> None:
    (tmp_path / "garbage.db").write_bytes(b"not a database at all" * 100)
    with sqlite3.connect(tmp_path / "other.db") as db:
        db.execute("CREATE TABLE runs (id TEXT)")
    (tmp_path / "empty").mkdir()
    result = cli("migrate", "mlflow", source.format(tmp=tmp_path, port=free_port()))
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) <= 2  # the error and its hint
    assert "Traceback" not in result.output


def test_links_in_an_artifact_folder_are_not_followed(
    stores: dict[str, Any], tmp_path: Path, workspace: Path, cli: Callable[..., Result]
) -> None:
    uri, _ = stores["folder"]
    copy = tmp_path / "mlruns"
    shutil.copytree(uri, copy, symlinks=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the store")
    (run_dir,) = [m.parent for m in copy.glob("*/*/meta.yaml") if "failed-one" in m.read_text()]
    artifacts = run_dir / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "leak.txt").symlink_to(secret)
    (artifacts / "leak-dir").symlink_to(tmp_path, target_is_directory=True)
    assert cli("migrate", "mlflow", str(copy)).exit_code == 0
    runs = imported(shipyard.open_context(workspace))
    paths = {a.path for r in runs.values() for a in r.artifacts}
    assert not any(p.startswith("leak") for p in paths)
