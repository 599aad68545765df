"""``shipyard ci init --github`` says which model and training command it chose, asks for
them on a terminal, and stops rather than guess when it has nothing to go on."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml
from typer.testing import Result

from shipyard.registry.ci import WORKFLOW_PATH

Cli = Callable[..., Result]


def _gates_env(root: Path) -> dict[str, str]:
    workflow = yaml.safe_load((root / WORKFLOW_PATH).read_text())
    env: dict[str, str] = workflow["jobs"]["gates"]["env"]
    return env


def test_flags_are_taken_and_printed(cli: Cli, workspace: Path) -> None:
    done = cli("ci", "init", "--github", "--model", "fraud", "--train", "make train")
    assert done.exit_code == 0, done.output
    assert "model: fraud (--model)" in done.stdout
    assert "training command: make train (--train)" in done.stdout
    assert _gates_env(workspace) == {"TRAIN": "make train"}
    assert "promote fraud latest --to staging" in (workspace / WORKFLOW_PATH).read_text()


def test_off_a_terminal_the_guesses_are_printed_with_their_source(
    cli: Cli, workspace: Path
) -> None:
    (workspace / "src").mkdir()
    (workspace / "src" / "train.py").write_text("print('training')\n")
    done = cli("ci", "init", "--github")
    assert done.exit_code == 0, done.output
    assert "model: demo (the project's name; --model to choose another)" in done.stdout
    assert "training command: python src/train.py (found the script" in done.stdout
    assert _gates_env(workspace)["TRAIN"] == "python src/train.py"


def test_off_a_terminal_without_a_training_script_nothing_is_guessed(
    cli: Cli, workspace: Path
) -> None:
    done = cli("ci", "init", "--github", "--model", "churn")
    assert done.exit_code == 2
    assert "no training command given and no train.py found" in done.stderr
    assert "--train" in done.stderr
    assert "Traceback" not in done.output
    assert not (workspace / WORKFLOW_PATH).exists()


def test_an_existing_workflow_is_reported_before_anything_is_asked(
    cli: Cli, workspace: Path
) -> None:
    assert cli("ci", "init", "--github", "-m", "a", "--train", "x").exit_code == 0
    again = cli("ci", "init", "--github")  # no train.py: the existing file is the news
    assert again.exit_code == 2
    assert "exists already" in again.stderr


def _read_until(fd: int, wanted: bytes, seen: bytearray) -> None:
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], 120)  # a bound against hanging only
        assert ready, f"no {wanted!r} in {bytes(seen)!r}"
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            chunk = b""
        assert chunk, f"no {wanted!r} in {bytes(seen)!r}"
        seen += chunk


def test_on_a_terminal_it_asks_offering_its_guesses(workspace: Path) -> None:
    (workspace / "train.py").write_text("print('training')\n")
    shipyard = Path(sys.executable).with_name("shipyard")
    controller, terminal = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    child = subprocess.Popen(
        [str(shipyard), "ci", "init", "--github"],
        stdin=terminal, stdout=terminal, stderr=terminal, cwd=workspace, env=env,
    )  # fmt: skip
    os.close(terminal)
    seen = bytearray()
    try:
        _read_until(controller, b"Registered model [demo]: ", seen)
        os.write(controller, b"fraud\n")
        _read_until(controller, b"Command that trains and registers a version [python train.py]: ",
                    seen)  # fmt: skip
        os.write(controller, b"\n")  # take the offered guess
        _read_until(controller, b"shared registry", seen)  # the last line
    finally:
        assert child.wait(timeout=120) == 0, bytes(seen).decode(errors="replace")
        os.close(controller)
    output = bytes(seen).decode()
    assert "model: fraud (your answer)" in output
    assert _gates_env(workspace) == {"TRAIN": "python train.py"}
    assert "promote fraud latest --to staging" in (workspace / WORKFLOW_PATH).read_text()
