"""The tracking CLI, in-process, against a real workspace."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

import shipyard
from tests.conftest import squash

Cli = Callable[..., Result]


def _runs(workspace: Path) -> list[str]:
    ids = []
    for i, (model, accuracy, f1) in enumerate(
        [("lr", 0.95, 0.91), ("rf", 0.97, 0.93), ("lr", 0.85, 0.80)]
    ):
        with shipyard.start_run(experiment="churn", name=f"run-{i}") as run:
            run.log_params({"model": model, "C": i})
            run.log_metrics({"accuracy": accuracy, "f1": f1})
            run.log_metric("loss", float("nan"))
            run.set_tag("team", "growth")
        ids.append(run.id)
    return ids


def test_runs_ls_filters_orders_and_shows_the_named_columns(cli: Cli, workspace: Path) -> None:
    ids = _runs(workspace)
    result = cli(
        "runs",
        "ls",
        "--experiment",
        "churn",
        "--filter",
        "metrics.accuracy > 0.9 and params.model = 'lr'",
        "--order-by",
        "metrics.f1 desc",
        "--limit",
        "20",
    )
    assert result.exit_code == 0, result.output
    assert ids[0] in result.stdout
    assert ids[1] not in result.stdout
    assert ids[2] not in result.stdout
    assert "metrics.f1" in result.stdout
    assert "params.model" in result.stdout
    assert "0.91" in result.stdout


def test_runs_ls_pages_and_prints_json(cli: Cli, workspace: Path) -> None:
    ids = _runs(workspace)
    first = json.loads(cli("runs", "ls", "--limit", "2", "--json").stdout)
    assert [r["id"] for r in first["runs"]] == [ids[2], ids[1]]
    assert first["runs"][0]["metrics"]["loss"] == "nan"  # JSON has no NaN: spelled out
    rest = json.loads(
        cli("runs", "ls", "--limit", "2", "--page-token", first["next_page_token"], "--json").stdout
    )
    assert [r["id"] for r in rest["runs"]] == [ids[0]]
    assert rest["next_page_token"] is None


def test_a_filter_syntax_error_points_at_the_token_with_exit_2(cli: Cli, workspace: Path) -> None:
    result = cli("runs", "ls", "--filter", "metrics.accuracy > and params.model = 'lr'")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert "expected a value after '>', found 'and' at column 20" in lines[0]
    assert lines[1] == "  metrics.accuracy > and params.model = 'lr'"
    assert lines[2] == "  " + " " * 19 + "^^^"
    assert "Traceback" not in result.output


def test_runs_show_prints_everything_of_a_run(cli: Cli, workspace: Path) -> None:
    run_id = _runs(workspace)[0]
    result = cli("runs", "show", run_id[:12])
    assert result.exit_code == 0, result.output
    out = squash(result.stdout)
    for text in (run_id, "run-0", "churn", "finished", "accuracy", "0.95", "nan", "team", "growth"):
        assert text in out
    data = json.loads(cli("runs", "show", run_id, "--json").stdout)
    assert data["params"] == {"C": "0", "model": "lr"}
    assert data["environment"]["python"].startswith("CPython")


def test_unknown_run_ids_exit_2(cli: Cli, workspace: Path) -> None:
    result = cli("runs", "show", "0" * 26)
    assert result.exit_code == 2
    assert "no run with id" in result.stderr
    assert cli("runs", "show", "x").exit_code == 2


def test_runs_compare_puts_runs_side_by_side(cli: Cli, workspace: Path) -> None:
    ids = _runs(workspace)
    result = cli("runs", "compare", ids[0], ids[1])
    assert result.exit_code == 0, result.output
    rows = {
        line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if line.split()
    }
    assert rows["model"] == ["│", "lr", "│", "rf"]
    assert rows["accuracy"] == ["│", "0.95", "│", "0.97"]
    only_diff = cli("runs", "compare", ids[0], ids[2], "--diff").stdout
    assert "team" not in only_diff
    assert "accuracy" in only_diff
    assert cli("runs", "compare", ids[0]).exit_code == 2


def test_runs_history_and_experiments(cli: Cli, workspace: Path) -> None:
    with shipyard.start_run(experiment="curves") as run:
        for value in (0.5, 0.4, 0.3):
            run.log_metric("loss", value)
    history = json.loads(cli("runs", "history", run.id, "loss", "--json").stdout)
    assert [(p["step"], p["value"]) for p in history] == [(0, 0.5), (1, 0.4), (2, 0.3)]
    experiments = json.loads(cli("experiments", "ls", "--json").stdout)
    assert [(e["name"], e["run_count"]) for e in experiments] == [("curves", 1)]


def test_runs_delete_asks_first(cli: Cli, workspace: Path) -> None:
    run_id = _runs(workspace)[0]
    assert cli("runs", "delete", run_id, input="n\n").exit_code == 1
    assert cli("runs", "show", run_id).exit_code == 0
    assert cli("runs", "delete", run_id, "--yes").exit_code == 0
    assert cli("runs", "show", run_id).exit_code == 2


@pytest.mark.slow
def test_shipyard_run_tracks_a_command_end_to_end(workspace: Path) -> None:
    exe = Path(sys.executable).with_name("shipyard")
    script = (
        "import shipyard, sys;"
        "r = shipyard.start_run();"
        "r.log_metric('acc', 0.75);"
        "print('training output');"
        "sys.exit(3)"
    )
    done = subprocess.run(
        [exe, "run", "-e", "cli", "--param", "lr=0.1", "--", sys.executable, "-c", script],
        cwd=workspace,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3, done.stderr
    assert "training output" in done.stdout  # streamed through, not swallowed
    assert "failed (exit 3)" in done.stderr
    listed = json.loads(
        subprocess.run(
            [exe, "runs", "ls", "-e", "cli", "--json"], cwd=workspace, capture_output=True
        ).stdout
    )
    run = listed["runs"][0]
    assert run["status"] == "failed"
    assert run["exit_code"] == 3
    assert run["params"] == {"lr": "0.1"}
    assert run["metrics"] == {"acc": 0.75}  # logged by the command itself, into this run
    assert run["command"].endswith("sys.exit(3)'")
    assert run["resources"]["cpu_seconds"] > 0
    missing = subprocess.run(
        [exe, "run", "--", "no-such-program-here"], cwd=workspace, capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert "command not found" in missing.stderr
    suicide = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    killed = subprocess.run(
        [exe, "run", "-e", "cli", "--", sys.executable, "-c", suicide],
        cwd=workspace,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == 128 + 15
    assert "killed (exit 143)" in killed.stderr
    after = json.loads(
        subprocess.run(
            [exe, "runs", "ls", "-e", "cli", "--json"], cwd=workspace, capture_output=True
        ).stdout
    )
    assert [r["status"] for r in after["runs"]] == ["killed", "failed"]
