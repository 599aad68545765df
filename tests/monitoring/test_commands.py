"""``shipyard monitor drift|profile`` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import Result

Cli = Callable[..., Result]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    n = 4000
    ref = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.lognormal(10, 1, n),
            "plan": rng.choice(["basic", "pro", "<b>team</b>"], n),
            "score": rng.random(n),
        }
    )
    same = ref.sample(frac=1.0, random_state=1).reset_index(drop=True)
    shifted = ref.assign(age=ref.age + 15, income=ref.income * 2, plan="basic", score=ref.score**3)
    out = {
        "ref": tmp_path / "ref.parquet",
        "same": tmp_path / "same.csv",
        "shifted": tmp_path / "shifted.csv",
    }
    ref.to_parquet(out["ref"])
    same.to_csv(out["same"], index=False)
    shifted.to_csv(out["shifted"], index=False)
    return out


def test_no_drift_exits_0_with_a_table(cli: Cli, files: dict[str, Path]) -> None:
    result = cli("monitor", "drift", str(files["ref"]), str(files["same"]))
    assert result.exit_code == 0, result.output
    assert "No dataset drift" in result.stdout
    assert "Wasserstein" in result.stdout
    assert "Domain classifier: ROC AUC" in result.stdout


def test_drift_exits_1_and_writes_json_and_html(
    cli: Cli, files: dict[str, Path], tmp_path: Path
) -> None:
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    result = cli(
        "monitor", "drift", str(files["ref"]), str(files["shifted"]),
        "--json", str(out_json), "--html", str(out_html), "--prediction", "score",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "Drift detected" in result.stdout
    report = json.loads(out_json.read_text())
    assert report["dataset_drift"] is True
    assert sorted(report["drifted"]) == ["age", "income", "plan"]
    assert report["prediction"]["drifted"] is True
    page = out_html.read_text()
    assert "<script" not in page.lower()
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.count("<svg") >= 4
    assert "&lt;b&gt;team&lt;/b&gt;" in page  # category labels are escaped
    assert "<b>team</b>" not in page
    assert len(page) < 100_000


def test_json_on_stdout_is_only_json(cli: Cli, files: dict[str, Path]) -> None:
    result = cli(
        "monitor",
        "drift",
        str(files["ref"]),
        str(files["shifted"]),
        "--json",
        "-",
        "--no-multivariate",
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["multivariate"] is None
    assert {f["column"] for f in data["features"]} == {"age", "income", "plan", "score"}


def test_a_saved_profile_serves_as_reference(
    cli: Cli, files: dict[str, Path], tmp_path: Path
) -> None:
    saved = tmp_path / "ref.profile.json"
    made = cli("monitor", "profile", str(files["ref"]), "-o", str(saved))
    assert made.exit_code == 0, made.output
    assert "4,000 rows × 4 columns" in made.stdout
    assert "profile written to" in made.stdout
    result = cli("monitor", "drift", str(saved), str(files["same"]), "--ignore", "score")
    assert result.exit_code == 0, result.output
    assert "of 3 features drifted" in result.stdout


def test_options_change_tests_and_thresholds(cli: Cli, files: dict[str, Path]) -> None:
    result = cli(
        "monitor", "drift", str(files["ref"]), str(files["same"]), "--json", "-",
        "--numeric-test", "psi", "--threshold", "psi=0.3", "--test", "plan=psi",
        "--columns", "age,plan",
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert [(f["column"], f["test"], f["threshold"]) for f in data["features"]] == [
        ("age", "psi", 0.3),
        ("plan", "psi", 0.3),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold", "psi"], "--threshold takes NAME=VALUE"),
        (["--threshold", "psi=high"], "--threshold psi= needs a number"),
        (["--numeric-test", "chisquare"], "'chisquare' cannot test numeric features"),
        (["--drift-share", "0"], "the drift share must be in (0, 1]"),
    ],
)
def test_bad_options_are_one_line_errors(
    cli: Cli, files: dict[str, Path], args: list[str], message: str
) -> None:
    result = cli("monitor", "drift", str(files["ref"]), str(files["same"]), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_unreadable_sides_are_one_line_errors(
    cli: Cli, files: dict[str, Path], tmp_path: Path
) -> None:
    missing = cli("monitor", "drift", str(tmp_path / "nope.parquet"), str(files["same"]))
    assert missing.exit_code == 2
    assert "no file or folder at" in missing.stderr
    (tmp_path / "broken.json").write_text("{ not json")
    broken = cli("monitor", "drift", str(tmp_path / "broken.json"), str(files["same"]))
    assert broken.exit_code == 2
    assert "is not valid JSON (line 1" in broken.stderr


def test_profile_prints_json(cli: Cli, files: dict[str, Path]) -> None:
    result = cli("monitor", "profile", str(files["ref"]), "--json", "--sample-rows", "0")
    data = json.loads(result.stdout)
    assert data["type"] == "shipyard.profile"
    assert data["sample"]["rows"] == 0


def test_an_unwritable_output_is_one_line(cli: Cli, files: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "r.json"
    result = cli("monitor", "drift", str(files["ref"]), str(files["same"]), "--json", str(target))
    assert result.exit_code == 2
    assert f"cannot write {target}" in result.stderr
    assert not list(tmp_path.glob("**/*.tmp"))


def test_an_empty_window_is_a_finding_not_a_failure(
    cli: Cli, files: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / "empty.csv").write_text("age,income,plan,score\n")
    result = cli(
        "monitor",
        "drift",
        str(files["ref"]),
        str(tmp_path / "empty.csv"),
        "--html",
        str(tmp_path / "r.html"),
    )
    assert result.exit_code == 0, result.output
    assert "the current data has no rows" in result.stdout
    assert "No feature could be tested" in result.stdout
    assert "No feature could be tested" in (tmp_path / "r.html").read_text()


def test_drift_found_by_the_domain_classifier_says_so(cli: Cli, tmp_path: Path) -> None:
    rng = np.random.default_rng(15)
    x, z = rng.normal(size=(2, 6000)), rng.normal(size=(2, 6000))
    pd.DataFrame({"x": x[0], "y": 0.95 * x[0] + 0.31 * x[1]}).to_parquet(tmp_path / "r.parquet")
    pd.DataFrame({"x": z[0], "y": -0.95 * z[0] + 0.31 * z[1]}).to_parquet(tmp_path / "c.parquet")
    page = tmp_path / "drift.html"
    result = cli(
        "monitor", "drift", str(tmp_path / "r.parquet"), str(tmp_path / "c.parquet"),
        "--html", str(page),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "<b>Drift detected by the domain classifier (ROC AUC 0." in page.read_text()
    verdict = result.stdout.strip().splitlines()[-2]  # before "HTML report written"
    assert verdict.startswith("Drift detected by the domain classifier (ROC AUC 0.")
    assert verdict.endswith(
        "0 of 2 features drifted (0%; the share alone means dataset drift at ≥ 50%)"
    )


def test_three_rows_are_not_enough_data_for_a_verdict(
    cli: Cli, files: dict[str, Path], tmp_path: Path
) -> None:
    few = tmp_path / "few.csv"
    pd.read_csv(files["shifted"]).head(3).to_csv(few, index=False)
    result = cli("monitor", "drift", str(files["ref"]), str(few))
    assert result.exit_code == 0, result.output
    assert "Not enough data for a drift verdict: every feature has fewer than 30 values" in (
        result.stdout
    )
    assert " drift \n" not in result.stdout  # no feature says drift
    rows = [line for line in result.stdout.splitlines() if line.rstrip().endswith("enough data")]
    assert len(rows) == 4  # one per feature, in the verdict column
    document = json.loads(
        cli("monitor", "drift", str(files["ref"]), str(few), "--json", "-").stdout
    )
    assert (document["verdict"], document["dataset_drift"]) == ("not_enough_data", None)
    lowered = cli("monitor", "drift", str(files["ref"]), str(few), "--min-sample", "3")
    assert lowered.exit_code in (0, 1), lowered.output
    assert "Not enough data" not in lowered.stdout  # three values are enough when told so
