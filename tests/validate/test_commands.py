"""``shipyard validate infer|run`` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import Result

Cli = Callable[..., Result]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.parquet"
    pd.DataFrame({"age": range(18, 118), "plan": ["basic", "pro"] * 50}).to_parquet(path)
    return path


def test_infer_writes_an_editable_suite_and_run_passes(
    cli: Cli, data: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "suite.yaml"
    made = cli("validate", "infer", str(data), "-o", str(suite))
    assert made.exit_code == 0, made.output
    assert "suite with 2 columns written" in made.stdout
    text = suite.read_text()
    assert text.startswith("# Shipyard validation suite drafted")
    assert "allowed: [basic, pro]" in text
    result = cli("validate", "run", str(suite), str(data))
    assert result.exit_code == 0, result.output
    assert "passes suite data" in result.stdout


def test_a_suite_drafted_from_training_data_passes_a_smaller_batch(
    cli: Cli, data: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "suite.yaml"
    assert cli("validate", "infer", str(data), "-o", str(suite)).exit_code == 0
    batch = tmp_path / "today.parquet"
    pd.DataFrame({"age": [30, 40, 50], "plan": ["basic", "pro", "pro"]}).to_parquet(batch)
    result = cli("validate", "run", str(suite), str(batch))
    assert result.exit_code == 0, result.output
    bounded = tmp_path / "bounded.yaml"
    assert cli("validate", "infer", str(data), "--rows", "-o", str(bounded)).exit_code == 0
    assert "rows:\n  min: 50\n  max: 200\n" in bounded.read_text()
    refused = cli("validate", "run", str(bounded), str(batch))
    assert refused.exit_code == 1
    assert "rows.min" in refused.stdout


def test_infer_prints_to_stdout_and_will_not_overwrite(
    cli: Cli, data: Path, tmp_path: Path
) -> None:
    printed = cli("validate", "infer", str(data))
    assert "type: integer" in printed.stdout
    (tmp_path / "suite.yaml").write_text("keep me")
    refused = cli("validate", "infer", str(data), "-o", str(tmp_path / "suite.yaml"))
    assert refused.exit_code == 2
    assert "exists already (pass --force to overwrite it)" in refused.stderr
    assert (tmp_path / "suite.yaml").read_text() == "keep me"


def test_failures_print_a_table_and_exit_1(cli: Cli, data: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text("columns:\n  age:\n    max: 60\n  plan:\n    allowed: [basic]\n")
    result = cli("validate", "run", str(suite), str(data))
    assert result.exit_code == 1
    assert "fails suite suite: 2 rule(s) broken" in result.stdout
    assert "row 44: 61" in result.stdout
    as_json = json.loads(cli("validate", "run", str(suite), str(data), "--json").stdout)
    assert [(f["column"], f["rule"], f["failing"]) for f in as_json["failures"]] == [
        ("age", "max", 57),
        ("plan", "allowed", 50),
    ]


def test_a_malformed_suite_is_one_line_with_its_line(cli: Cli, data: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text("columns:\n  age:\n    maximum: 60\n")
    result = cli("validate", "run", str(suite), str(data))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "suite.yaml line 3: unknown key 'maximum' in column 'age'" in result.stderr
