"""``monitor run|schedule|status`` against a real team server: the server reads its own
inference log and keeps the result; the reference and the suite travel resolved."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import Result

from shipyard.context import Context
from shipyard.core.monitors import TRIGGER_RESULT_TAG
from shipyard.monitoring.live.results_store import latest_results
from shipyard.server.app import create_app
from shipyard.store.audit import list_events
from shipyard.store.db import Database
from tests.monitoring.live.conftest import LogWriter, columns_of, frame
from tests.serverkit import PROJECT, Team, make_team, server_context

Cli = Callable[..., Result]
pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def served(database: Database, tmp_path: Path) -> Iterator[tuple[FastAPI, Context, Team]]:
    team = make_team(database)
    ctx = server_context(database, objects=tmp_path / "server-objects").for_project(PROJECT)
    yield create_app(ctx), ctx, team
    ctx.close()


def _remote(
    served: tuple[FastAPI, Context, Team],
    live_server: Callable[..., int],
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Context:
    app, ctx, team = served
    url = f"http://127.0.0.1:{live_server(app)}"
    LogWriter(ctx).predictions(  # the log is the server's: the client never sees it
        columns_of(frame(200)), at=datetime.now(UTC) - timedelta(hours=1)
    )
    frame(500).to_csv(workspace / "reference.csv", index=False)
    monkeypatch.setenv("SHIPYARD_TOKEN", team.tokens["contributor"])
    monkeypatch.setenv("SHIPYARD_PROJECT", PROJECT)
    monkeypatch.setenv("SHIPYARD_URI", url)
    return ctx


def test_a_monitor_runs_on_the_servers_log_and_its_result_is_kept_there(
    served: tuple[FastAPI, Context, Team],
    live_server: Callable[..., int],
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> None:
    server = _remote(served, live_server, workspace, monkeypatch)
    result = cli("monitor", "run", "churn", "--reference", "reference.csv", "--json", "-")
    assert result.exit_code == 0, result.output
    assert '"rows": 200' in result.stdout
    with server.db.read() as session:
        (entry,) = list_events(session, action="monitor.run")
    assert entry.principal == "contributor"
    assert entry.project == PROJECT
    status = cli("monitor", "status", "--json")
    assert status.exit_code == 0, status.output
    assert '"monitor": "churn"' in status.stdout


def test_schedule_once_runs_the_clients_monitors_on_the_server(
    served: tuple[FastAPI, Context, Team],
    live_server: Callable[..., int],
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> None:
    server = _remote(served, live_server, workspace, monkeypatch)
    config = workspace / ".shipyard" / "config.toml"
    config.write_text(
        config.read_text()
        + '\n[monitors.churn]\nmodel = "churn"\nreference = "reference.csv"\ninterval = "1h"\n'
    )
    result = cli("monitor", "schedule", "--once")
    assert result.exit_code == 0, result.output
    assert "200 rows" in result.stdout
    with server.db.read() as session:
        assert len(list_events(session, action="monitor.run")) == 1


def test_the_server_reads_no_path_and_runs_no_command_a_client_names(
    served: tuple[FastAPI, Context, Team],
    live_server: Callable[..., int],
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = _remote(served, live_server, workspace, monkeypatch)
    from fastapi.testclient import TestClient

    app, _ctx, team = served
    with TestClient(app, raise_server_exceptions=False) as client:
        for key, value in (("reference", "/etc/passwd"), ("on_breach", ["touch", "x"])):
            answer = client.post(
                f"/api/v1/projects/{PROJECT}/monitors/churn/runs",
                json={"config": {"model": "churn", key: value}},
                headers=team.headers("contributor"),
            )
            assert answer.status_code == 400, answer.text
            assert key in answer.json()["error"]["message"]
        denied = client.post(
            f"/api/v1/projects/{PROJECT}/monitors/churn/runs",
            json={"config": {"model": "churn"}},
            headers=team.headers("viewer"),
        )
        assert denied.status_code == 403
    with server.db.read() as session:
        assert list_events(session, action="monitor.run") == []


def test_a_clients_trigger_reports_the_runs_it_started_on_the_server(
    served: tuple[FastAPI, Context, Team],
    live_server: Callable[..., int],
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> None:
    from fastapi.testclient import TestClient

    server = _remote(served, live_server, workspace, monkeypatch)
    LogWriter(server).predictions(  # a shifted batch: drift, so a breach and the trigger
        columns_of(frame(400, shift=1.0)), at=datetime.now(UTC) - timedelta(minutes=30)
    )
    (workspace / "retrain.py").write_text(
        "import shipyard\nwith shipyard.start_run('churn', 'retrain'):\n    pass\n"
    )
    config = workspace / ".shipyard" / "config.toml"
    config.write_text(
        config.read_text() + '\n[monitors.churn]\nmodel = "churn"\nreference = "reference.csv"\n'
        f'on_breach = ["{Path(sys.executable).as_posix()}", "retrain.py"]\n'
    )
    result = cli("monitor", "run", "churn")
    assert result.exit_code == 1, result.output  # a breach
    app, _ctx, team = served
    with TestClient(app) as client:
        answer = client.get(f"/api/v1/projects/{PROJECT}/monitors/churn/alerts",
                            headers=team.headers("viewer"))  # fmt: skip
    (trigger,) = answer.json()["alerts"]
    (started,) = trigger["runs"]  # the run the command logged to the server
    assert (trigger["exit_code"], started["name"]) == (0, "retrain")
    (stored,) = latest_results(server.db, PROJECT)
    assert trigger["result"] == stored.id
    run = server.tracking.get_run(started["id"]).run
    assert run.tags[TRIGGER_RESULT_TAG] == stored.id
