"""``shipyard monitor run|schedule|status`` in-process: output, files, exit codes, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import Result

from shipyard.context import Context
from tests.monitoring.live.conftest import LogWriter, columns_of, frame

Cli = Callable[..., Result]


def recent(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


def test_run_reports_drift_writes_json_and_html_and_exits_1(
    cli: Cli, log: LogWriter, reference: Path, tmp_path: Path
) -> None:
    ids = log.predictions(columns_of(frame(1500, shift=1.0)), at=recent(3), predictions=[1] * 1500)
    log.feedback(ids, [1] * 1000 + [0] * 500, at=recent(0.1))
    html, out = tmp_path / "report.html", tmp_path / "result.json"
    result = cli(
        "monitor", "run", "churn", "--reference", str(reference), "--window", "24h",
        "--baseline-metrics", "accuracy=0.9,f1=0.95", "--json", str(out), "--html", str(html),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "breach (drift)" in result.output
    assert "breach (performance)" in result.output
    document = json.loads(out.read_text())
    assert document["type"] == "shipyard.monitor_result"
    assert document["rows"] == 1500
    assert document["performance"]["metrics"]["accuracy"] == 1000 / 1500
    assert {b["kind"] for b in document["breaches"]} == {"drift", "performance"}
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "Performance (classification" in page
    assert "age" in page
    assert len(page) < 200_000  # summaries, never rows
    status = cli("monitor", "status", "--json")
    assert json.loads(status.stdout)["monitors"][0]["breaches"] == ["drift", "performance"]


def test_run_with_no_traffic_is_not_a_failure(cli: Cli, workspace: Path, reference: Path) -> None:
    result = cli("monitor", "run", "churn", "--reference", str(reference), "--json", "-")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["status"] == "no_data"
    assert "no_traffic" in {f["code"] for f in document["findings"]}


def test_bad_input_is_one_line_and_exit_2(cli: Cli, workspace: Path) -> None:
    for args, expected in (
        (("--reference", "missing.csv"), "no file or folder at missing.csv"),
        (("--baseline-metrics", "accuracy=high"), "--baseline-metrics takes METRIC=NUMBER"),
        (("--baseline-metrics", "speed=1"), "unknown metric 'speed'"),
        (("--window", "yesterday"), "cannot read the duration"),
        (("--task", "ranking"), "--task is auto, classification or regression"),
    ):
        result = cli("monitor", "run", "churn", *args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output
        assert "Traceback" not in result.output


def test_a_configured_monitor_runs_by_name_and_on_schedule_once(
    cli: Cli, ctx: Context, log: LogWriter, reference: Path, workspace: Path
) -> None:
    config = workspace / ".shipyard" / "config.toml"
    config.write_text(
        config.read_text()
        + '\n[monitors.churn-daily]\nmodel = "churn"\nwindow = "12h"\n'
        + f'reference = "{reference.name}"\ninterval = "1h"\nignore = ["churned"]\n'
        + "multivariate = false\n[monitors.churn-daily.thresholds]\nks = 0.001\n"
    )
    log.predictions(columns_of(frame(800, shift=1.0)), at=recent(20))  # outside the 12 h
    log.predictions(columns_of(frame(800, seed=9)), at=recent(2))
    ran = cli("monitor", "run", "churn-daily", "--no-save")
    assert ran.exit_code == 0, ran.output
    assert "800 rows" in ran.output
    assert "All within thresholds" in ran.output
    assert "churned" not in ran.output
    once = cli("monitor", "schedule", "--once")
    assert once.exit_code == 0, once.output
    assert "churn-daily: ok" in once.output
    status = cli("monitor", "status")
    assert "churn-daily" in status.output
    assert "ok" in status.output
    missing = cli("monitor", "schedule", "nope", "--once")
    assert missing.exit_code == 2
    assert "no monitor named nope" in missing.output


def test_a_window_of_three_rows_is_not_enough_data_not_drift(
    cli: Cli, log: LogWriter, reference: Path
) -> None:
    log.predictions(columns_of(frame(3, shift=1.0)), at=recent(1))
    args = ("monitor", "run", "churn", "--reference", str(reference))
    shown = cli(*args)
    assert shown.exit_code == 0, shown.output
    assert "Not enough data for a drift verdict" in shown.stdout
    assert "Too little traffic for a drift verdict" in shown.stdout
    assert "breach" not in shown.stdout
    document = json.loads(cli(*args, "--json", "-").stdout)
    assert document["status"] == "not_enough_data"
    assert document["breaches"] == []
    assert document["drift"]["verdict"] == "not_enough_data"
    assert document["drift"]["dataset_drift"] is None
    assert {f["drifted"] for f in document["drift"]["features"]} == {None}
    status = json.loads(cli("monitor", "status", "--json").stdout)
    assert status["monitors"][0]["status"] == "not_enough_data"
    told = json.loads(cli(*args, "--min-sample", "3", "--json", "-").stdout)
    assert told["drift"]["verdict"] != "not_enough_data"


def test_a_configured_monitor_takes_its_minimum_sample_from_the_config_file(
    cli: Cli, log: LogWriter, reference: Path, workspace: Path
) -> None:
    config = workspace / ".shipyard" / "config.toml"
    config.write_text(
        config.read_text()
        + f'\n[monitors.small]\nmodel = "churn"\nreference = "{reference}"\n'
        + "multivariate = false\n[monitors.small.thresholds]\nmin_sample = 3\n"
    )
    log.predictions(columns_of(frame(3, shift=1.0)), at=recent(1))
    told = json.loads(cli("monitor", "run", "small", "--no-save", "--json", "-").stdout)
    assert told["drift"]["verdict"] != "not_enough_data"
    flag = cli("monitor", "run", "small", "--no-save", "--min-sample", "30", "--json", "-")
    assert json.loads(flag.stdout)["drift"]["verdict"] == "not_enough_data"
