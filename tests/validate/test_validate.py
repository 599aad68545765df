"""Drafting a suite from data, then checking data against it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shipyard import validate
from shipyard.validate.patterns import infer_pattern
from shipyard.validate.suite import ColumnRules, Suite


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 3000
    return pd.DataFrame(
        {
            "id": [f"C{i:06d}" for i in range(n)],
            "age": rng.integers(18, 90, n),
            "plan": rng.choice(["basic", "pro", "team"], n),
            "income": np.where(rng.random(n) < 0.02, np.nan, rng.lognormal(10, 1, n)),
            "signup": pd.date_range("2024-01-01", periods=n, freq="h"),
            "active": rng.random(n) < 0.5,
            "comment": [f"free text {'word ' * (i % 5)}{i}" for i in range(n)],
        }
    )


def test_infer_drafts_rules_from_the_data(frame: pd.DataFrame) -> None:
    suite = validate.infer(frame, name="customers")
    cols = suite.columns
    assert suite.name == "customers"
    assert (suite.rows_min, suite.rows_max) == (None, None)
    assert "rows" not in suite.to_yaml()
    bounded = validate.infer(frame, name="customers", rows=True)
    assert (bounded.rows_min, bounded.rows_max) == (1500, 6000)
    assert cols["id"].type == "string"
    assert cols["id"].unique
    assert cols["id"].pattern == "[A-Z][0-9]{6}"
    assert (cols["id"].min_length, cols["id"].max_length) == (7, 7)
    assert (cols["age"].type, cols["age"].min, cols["age"].max) == (
        "integer",
        frame.age.min(),
        frame.age.max(),
    )
    assert not cols["age"].unique
    assert cols["plan"].allowed == ("basic", "pro", "team")
    assert cols["income"].type == "float"
    assert 0.02 < (cols["income"].max_null_fraction or 0) < 0.04
    assert cols["signup"].type == "datetime"
    assert str(cols["signup"].min).startswith("2024-01-01T00:00:00")
    assert cols["active"].type == "boolean"
    assert cols["comment"].pattern is None
    assert cols["comment"].allowed is None


def test_data_passes_the_suite_drafted_from_it(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_parquet(tmp_path / "data.parquet")
    (tmp_path / "suite.yaml").write_text(validate.infer(tmp_path / "data.parquet").to_yaml())
    result = validate.run(tmp_path / "suite.yaml", tmp_path / "data.parquet")
    assert result.passed, result.failures
    assert result.rows == len(frame)
    assert result.checked_columns == 7


def test_failures_have_counts_and_examples(frame: pd.DataFrame, tmp_path: Path) -> None:
    suite = validate.infer(frame)
    bad = frame.copy()
    bad.loc[4, "age"] = 150
    bad.loc[[7, 8], "plan"] = "enterprise"
    bad.loc[9, "id"] = "C000001"
    bad.loc[11, "id"] = "bad"
    bad.loc[:300, "income"] = np.nan
    bad.loc[12, "signup"] = pd.Timestamp("2030-01-01")
    bad = bad.drop(columns=["active"]).assign(surprise=1)
    bad.to_csv(tmp_path / "bad.csv", index=False)
    result = validate.run(Suite(suite.name, suite.columns, 1, 10**6, False), tmp_path / "bad.csv")
    found = {(f.column, f.rule): f for f in result.failures}
    assert not result.passed
    assert found["age", "max"].failing == 1
    assert found["age", "max"].examples == [{"row": 5, "value": 150}]
    assert found["plan", "allowed"].failing == 2
    assert [e["value"] for e in found["plan", "allowed"].examples] == ["enterprise", "enterprise"]
    assert found["id", "unique"].failing == 1
    assert found["id", "unique"].examples == [{"row": None, "value": "C000001"}]
    assert found["id", "pattern"].examples == [{"row": 12, "value": "bad"}]
    assert found["income", "max_null_fraction"].failing > 300
    assert found["signup", "max"].failing == 1
    assert found["active", "required"].failing == 0
    assert found[None, "allow_extra_columns"].examples == [{"row": None, "value": "surprise"}]


def test_types_and_row_counts(tmp_path: Path) -> None:
    pd.DataFrame({"n": ["one", "two"]}).to_csv(tmp_path / "d.csv", index=False)
    suite = Suite("s", {"n": ColumnRules("n", type="integer", min=0)}, rows_min=5)
    result = validate.run(suite, tmp_path / "d.csv")
    rules = [(f.column, f.rule) for f in result.failures]
    assert rules == [(None, "rows.min"), ("n", "type")]
    assert result.failures[1].examples == [{"row": None, "value": "string"}]
    assert result.to_dict()["passed"] is False


def test_infer_then_run_on_a_csv_file(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_csv(tmp_path / "data.csv", index=False)
    suite = validate.infer(tmp_path / "data.csv")
    assert suite.name == "data"
    assert validate.run(suite, tmp_path / "data.csv").passed


def test_patterns() -> None:
    assert infer_pattern([f"AB-{i}" for i in range(10, 40)]) == "[A-Z]{2}-[0-9]{2}"
    assert (
        infer_pattern([f"{i}.{i} kg" for i in range(1, 40)]) == "[0-9]{1,2}\\.[0-9]{1,2} [a-z]{2}"
    )
    assert infer_pattern([f"{c}x{i}" for c in "aB" for i in range(15)]) == "[A-Za-z]{2}[0-9]{1,2}"
    assert infer_pattern(["some free text", "more words", "a b c d"] * 20) is None
    assert infer_pattern(["A1"] * 30) is None  # one value: an allowed list says it better
    assert infer_pattern(["A1", "B2"]) is None  # too few to generalise
