"""Suite files: what they may say, and one-line errors naming the line when they are wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.validate.suite import ColumnRules, Suite, load_suite, parse_suite

GOOD = """\
version: 1
name: churn
rows: {min: 10, max: 1000}
allow_extra_columns: false
columns:
  age:
    type: integer
    max_null_fraction: 0.05
    min: 18
    max: 99
  plan:
    type: string
    allowed: [basic, pro]
  id:
    type: string
    unique: true
    pattern: 'C[0-9]{3}'
    min_length: 4
    max_length: 4
  signup:
    type: datetime
    min: 2024-01-01
    max: '2024-12-31T23:59:59'
  note:
    required: false
"""


def test_a_suite_reads_with_every_rule() -> None:
    suite = parse_suite(GOOD, "suite.yaml")
    assert (suite.name, suite.rows_min, suite.rows_max, suite.allow_extra_columns) == (
        "churn", 10, 1000, False,
    )  # fmt: skip
    age = suite.columns["age"]
    assert (age.type, age.min, age.max, age.max_null_fraction, age.line) == (
        "integer",
        18,
        99,
        0.05,
        7,
    )
    assert suite.columns["plan"].allowed == ("basic", "pro")
    assert suite.columns["id"].unique
    assert suite.columns["signup"].min == "2024-01-01"
    assert not suite.columns["note"].required
    assert suite.columns["note"].type == "any"


def test_a_suite_survives_writing_and_reading() -> None:
    suite = parse_suite(GOOD, "suite.yaml")
    text = suite.to_yaml("a header\nsecond line")
    assert text.startswith("# a header\n# second line\n")
    again = parse_suite(text, "suite.yaml")
    assert again.to_dict() == suite.to_dict()


def test_quoting_survives_odd_values() -> None:
    suite = Suite(
        "s", {"c": ColumnRules("c", type="string", allowed=("yes", "no", "1", "a: b", "#x"))}
    )
    assert parse_suite(suite.to_yaml()).columns["c"].allowed == ("yes", "no", "1", "a: b", "#x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "suite.yaml: the file is empty"),
        (
            "columns:\n  age:\n    typ: integer\n",
            "suite.yaml line 3: unknown key 'typ' in column 'age'",
        ),
        (
            "columns:\n  age:\n    type: int\n",
            "suite.yaml line 3: column 'age': type must be one of",
        ),
        ("rows: {min: -1}\n", "suite.yaml line 1: rows.min must be a whole number ≥ 0"),
        ("rows:\n  min: 5\n  max: 2\n", "suite.yaml line 2: rows.min is larger than rows.max"),
        ("columns:\n  a:\n    min: 5\n    max: 1\n", "line 3: column 'a': min is larger than max"),
        ("columns:\n  a:\n    min: ten\n", "line 3: column 'a': min must be a number, not 'ten'"),
        (
            "columns:\n  a:\n    pattern: '(unclosed'\n",
            "line 3: column 'a': pattern is not a valid RE2",
        ),
        (
            "columns:\n  a:\n    max_null_fraction: 2\n",
            "line 3: column 'a': max_null_fraction must be between 0 and 1",
        ),
        ("columns:\n  a: [1, 2\n", "suite.yaml line 3: not valid YAML"),
        ("version: 2\n", "unsupported suite version 2"),
        ("- a\n- b\n", "line 1: the suite must be a mapping"),
        ("columns:\n  a:\n    unique: maybe\n", "line 3: column 'a': unique must be true or false"),
        ("name: x\nname: y\n", "line 2: the suite repeats the key 'name'"),
        ("columns:\n  d:\n    type: datetime\n    min: yesterday\n", "not an ISO 8601 date/time"),
    ],
)
def test_a_malformed_suite_is_one_line_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_suite(text, "suite.yaml")
    assert message in caught.value.one_line()
    assert "\n" not in caught.value.one_line()


def test_loading_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no suite file"):
        load_suite(tmp_path / "nope.yaml")
