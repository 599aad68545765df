"""Names, tags, file names and messages with brackets print as they are, never as Rich markup.

Rich reads ``[bold]`` or ``[gates.production]`` in a printed string as a style tag and
drops it; every command must show user data (and literal config keys) literally.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from rich.console import Console
from rich.text import Text
from sklearn.linear_model import LogisticRegression
from typer.testing import Result

import shipyard
from shipyard.cli import progress as progress_module
from shipyard.cli.main import build_app
from shipyard.models import register_model

Cli = Callable[..., Result]
TAGGED = "[bold]x[/bold]"
KEY = "[gates.production]"


def test_a_promotion_without_gates_names_the_table_to_add(cli: Cli, workspace: Path) -> None:
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 2)), columns=["a", "b"])
    register_model(LogisticRegression().fit(X, X["a"] > 0), "churn", input_example=X.head(3))
    result = cli("models", "promote", "churn", "1", "--to", "production", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"add {KEY} to .shipyard/config.toml" in " ".join(result.stderr.split())


def test_run_names_tags_and_params_print_literally(cli: Cli, workspace: Path) -> None:
    with shipyard.start_run(experiment="markup", name=TAGGED) as run:
        run.set_tag("stage", KEY)
        run.log_params({"C": "[dim]1.0[/dim]"})
    listed = cli("runs", "ls", "--columns", "tags.stage")
    assert listed.exit_code == 0, listed.output
    assert TAGGED in listed.stdout
    assert KEY in listed.stdout
    shown = cli("runs", "show", run.id)
    assert shown.exit_code == 0, shown.output
    for text in (TAGGED, KEY, "[dim]1.0[/dim]"):
        assert text in shown.stdout


def test_tracked_file_names_print_literally(cli: Cli, workspace: Path) -> None:
    folder = workspace / "data"
    folder.mkdir()
    pd.DataFrame({"n": range(40)}).to_csv(folder / "[bold]x.csv", index=False)
    name = "data/[bold]x.csv"  # a file name cannot hold the "/" of a closing tag
    for args in (("data", "add", name), ("data", "ls"), ("data", "status"), ("data", "show", name)):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert name in result.stdout, args


def test_column_names_print_literally_in_validation_and_drift(cli: Cli, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    column = "[red]age[/red]"
    reference, current = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pd.DataFrame({column: rng.normal(40, 5, 500)}).to_parquet(reference)
    pd.DataFrame({column: rng.normal(70, 5, 500)}).to_parquet(current)
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"columns:\n  '{column}':\n    max: 60\n")
    validated = cli("validate", "run", str(suite), str(current))
    assert validated.exit_code == 1
    assert column in validated.stdout
    drifted = cli("monitor", "drift", str(reference), str(current), "--no-multivariate")
    assert drifted.exit_code == 1
    assert column in drifted.stdout


def _commands(command: object, path: str) -> Iterator[tuple[str, object]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{path} {name}")


def test_every_help_text_shows_its_brackets() -> None:
    """A help text has no markup; a literal bracket is written ``\\[`` (typer renders Rich)."""
    shown_wrongly = []
    for path, command in _commands(typer.main.get_command(build_app()), "shipyard"):
        texts = [getattr(command, "help", None) or ""]
        texts += [getattr(p, "help", None) or "" for p in getattr(command, "params", [])]
        for text in texts:
            if Text.from_markup(text).plain != text.replace("\\[", "["):
                shown_wrongly.append(f"{path}: {text}")
    assert shown_wrongly == []


def test_progress_bars_show_file_names_literally(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(progress_module, "err_console", Console(file=out, force_terminal=True))
    with progress_module.progress_bars() as bars:
        bars.begin(f"storing {TAGGED}.csv", 10)
        bars.advance(10)
    assert f"storing {TAGGED}.csv" in out.getvalue()


def test_a_scheduled_monitor_that_fails_prints_its_error_literally(
    cli: Cli, workspace: Path
) -> None:
    config = workspace / ".shipyard" / "config.toml"
    config.write_text(
        config.read_text() + '\n[monitors.daily]\nmodel = "churn"\ninterval = "1h"\n'
        'reference = "[bold]gone.parquet"\n'
    )
    result = cli("monitor", "schedule", "--once")
    assert result.exit_code == 1
    assert "[bold]gone.parquet" in result.stderr
