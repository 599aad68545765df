"""``shipyard pipeline …`` from the command line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.cli.errors import EXIT_CHECK_FAILED, EXIT_USAGE

FLOWS = "tests.pipelines.flows"


def test_run_then_rerun_from_cache(workspace: Path, cli: Callable[..., Result]) -> None:
    args = ("pipeline", "run", f"{FLOWS}:arithmetic", "--param", "n=4", "--param", "scale=0.5")
    first = cli(*args, "--max-parallel", "1", "--json")
    assert first.exit_code == 0, first.output
    answer = json.loads(first.stdout)
    assert answer["status"] == "finished"
    assert answer["steps"] == {"numbers": "finished", "total": "finished"}
    again = cli(*args, "--max-parallel", "1")
    assert again.exit_code == 0, again.output
    assert "numbers: cached" in again.stdout
    assert "2 from cache" in again.stdout
    listed = json.loads(cli("pipeline", "ls", "--json").stdout)
    assert [row["pipeline"] for row in listed] == ["arithmetic", "arithmetic"]
    assert listed[0]["steps"] == "2 cached"
    shown = json.loads(cli("pipeline", "show", listed[1]["run_id"], "--json").stdout)
    assert [(s["step"], s["state"], s["cache"]) for s in shown["steps"]] == [
        ("numbers", "finished", "miss"), ("total", "finished", "miss"),
    ]  # fmt: skip


def test_a_failed_pipeline_exits_non_zero_and_resumes(
    workspace: Path, cli: Callable[..., Result]
) -> None:
    failed = cli("pipeline", "run", f"{FLOWS}:failing", "--param", "n=2", "--max-parallel", "1")
    assert failed.exit_code == EXIT_CHECK_FAILED
    assert "broken: failed (step 'broken' failed: ValueError: no good: 2)" in failed.stdout
    assert "pipeline failing failed at broken" in failed.stderr
    run_id = json.loads(cli("pipeline", "ls", "--json").stdout)[0]["run_id"]
    shown = cli("pipeline", "show", run_id)
    assert "ValueError: no good: 2" in shown.stdout
    resumed = cli("pipeline", "resume", run_id, "--json", "--max-parallel", "1")
    assert resumed.exit_code == EXIT_CHECK_FAILED
    assert json.loads(resumed.stdout)["steps"]["numbers-2"] == "kept"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", f"{FLOWS}:arithmetic", "--param", "n=x"), "parameter n: 'x' is not an integer"),
        (("run", f"{FLOWS}:arithmetic", "--param", "C=1"), "has no parameter 'C'"),
        (("run", f"{FLOWS}:arithmetic", "--param", "n"), "is not NAME=VALUE"),
        (("run", f"{FLOWS}:arithmetic", "--executor", "spark"), "unknown executor 'spark'"),
        (("run", "flows"), "does not name a pipeline"),
        (("run", f"{FLOWS}:numbers"), "is a Step, not a pipeline"),
        (("run", "no_such_module:x"), "cannot import 'no_such_module'"),
        (("run", f"{FLOWS}:marked"), "needs a value for parameter 'folder'"),
        (("graph", f"{FLOWS}:arithmetic", "--format", "png"), "unknown graph format 'png'"),
        (("show", "0" * 26), "no run"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    workspace: Path, cli: Callable[..., Result], args: tuple[str, ...], message: str
) -> None:
    result = cli("pipeline", *args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_an_unstorable_output_exits_2_naming_the_step_and_type(
    workspace: Path, cli: Callable[..., Result]
) -> None:
    result = cli("pipeline", "run", f"{FLOWS}:unstorable", "--max-parallel", "1")
    assert result.exit_code == EXIT_USAGE
    assert "opaque: failed (step 'opaque' failed: InvalidInput: step 'opaque' returned a" in (
        result.stdout
    )
    assert "builtins.object" in result.stdout
    assert "Traceback" not in result.output


def test_show_refuses_a_run_that_is_not_a_pipeline(
    workspace: Path, cli: Callable[..., Result]
) -> None:
    import shipyard

    with shipyard.start_run(experiment="plain") as run:
        run.log_metric("x", 1.0)
    result = cli("pipeline", "show", run.id)
    assert result.exit_code == EXIT_USAGE
    assert "is not a pipeline run" in result.stderr


def test_graph_formats(workspace: Path, cli: Callable[..., Result]) -> None:
    mermaid = cli("pipeline", "graph", f"{FLOWS}:marked", "--param", "folder=m").stdout
    assert "n_journal -.-> n_total" in mermaid
    assert "n_numbers --> n_total" in mermaid
    dot = cli("pipeline", "graph", f"{FLOWS}:marked", "--param", "folder=m", "--format", "dot")
    assert '"journal" -> "total" [style=dashed];' in dot.stdout
    out = workspace / "graph.svg"
    drawn = cli("pipeline", "graph", f"{FLOWS}:marked", "--param", "folder=m",
                "--format", "svg", "-o", str(out))  # fmt: skip
    assert drawn.exit_code == 0, drawn.output
    svg = ET.parse(out).getroot()
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["journal", "numbers", "total"]
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}line"))) == 2
