"""The pipelines page's schedules (what ``shipyard scheduler`` will start, and when) and
the run page's output logs, in a real browser (Debian's chromium through Playwright).

The workspace: a pipeline scheduled nightly and on a dataset, a pipeline whose own
definition carries the cron, one whose cron does not parse, after one scheduler pass;
and a ``shipyard run`` whose stdout is longer than the page shows and whose stderr holds
markup.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.browser import requires_browser, run_in_browser
from tests.ui.livekit import HOSTILE, SHIPYARD, assert_clean, requires_build, serving

pytestmark = [requires_browser, requires_build()]

FLOWS = """
from shipyard import pipeline, step


@step
def count(n: int) -> int:
    return n


@pipeline
def nightly(n: int = 1) -> None:
    count(n)


@pipeline(schedule="*/30 * * * *")
def half_hourly(n: int = 2) -> None:
    count(n)
"""

CONFIG = """
[pipelines.nightly]
pipeline = "flows:nightly"
schedule = "0 3 * * *"
on_dataset = ["sensors"]

[pipelines.half-hourly]
pipeline = "flows:half_hourly"

[pipelines.broken]
pipeline = "flows:nightly"
schedule = "61 * * * *"
"""

CHATTY = (
    "import sys\n"
    "for i in range(20000): print(f'line {i:05d} of the training log')\n"
    f"print({HOSTILE!r}, file=sys.stderr)\n"
)


def _shipyard(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SHIPYARD, *args], cwd=root, capture_output=True, text=True,
                          check=True)  # fmt: skip


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("schedules-ui") / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    _shipyard(root, "init", "-p", "demo")
    (root / "flows.py").write_text(FLOWS)
    config = root / ".shipyard" / "config.toml"
    config.write_text(config.read_text() + CONFIG)
    _shipyard(root, "scheduler", "--once")
    _shipyard(root, "run", "-e", "logs", "-n", "chatty", "--", sys.executable, "-c", CHATTY)
    return root


def test_the_pipelines_page_says_what_runs_when_and_a_run_shows_its_output(
    workspace: Path, tmp_path: Path
) -> None:
    with serving(workspace, "ui", "--port", "0") as live:
        result = run_in_browser(
            """
            page.goto(live_url)
            page.get_by_role("link", name="Pipelines").click()
            table = page.get_by_test_id("schedules-table")
            expect(table).to_be_visible()
            report("schedules", table.inner_text())
            report("next", page.get_by_test_id("schedule-next").all_text_contents())
            report("problem", page.get_by_test_id("schedule-problem").inner_text())
            report("heartbeat", page.get_by_test_id("schedule-heartbeat").first.inner_text())
            nightly = page.locator("details[data-pipeline='nightly']")
            nightly.locator("summary").click()
            report("triggers", nightly.get_by_test_id("schedule-triggers").inner_text())
            report("axe_schedules", axe())
            shot("pipelines-schedules")

            page.get_by_role("link", name="Runs").click()
            page.get_by_role("link", name="chatty").click()
            logs = page.get_by_test_id("run-log")
            expect(logs).to_have_count(2)
            report("log_order", [l.get_attribute("data-path") for l in logs.all()])
            stdout = logs.first.get_by_test_id("log-text")
            expect(stdout).to_contain_text("line 19999 of the training log")
            report("stdout", stdout.inner_text())
            report("stdout_note", logs.first.inner_text())
            logs.nth(1).locator("summary").click()
            expect(logs.nth(1).get_by_test_id("log-text")).to_be_visible()
            report("stderr", logs.nth(1).get_by_test_id("log-text").inner_text())
            report("axe_run", axe())
            """.replace("live_url", repr(live.url)),
            base_url=live.base,
            out_dir=tmp_path,
        )
    schedules = result["schedules"]
    for shown in ("nightly", "0 3 * * *", "dataset sensors", "half-hourly", "*/30 * * * *"):
        assert shown in schedules, shown
    assert len(result["next"]) == 2  # the broken one has no next tick
    assert "'61 * * * *' is not a valid cron expression" in result["problem"]
    assert "last pass" in result["heartbeat"]
    assert "once (cron)" in result["heartbeat"]
    assert "schedule started" in result["triggers"]
    assert result["log_order"] == ["logs/stdout.log", "logs/stderr.log"]
    # The tail: the last line is there, the first is beyond the 64 KiB shown.
    assert "line 00000" not in result["stdout"]
    assert result["stdout"].splitlines()[0].startswith("line ")  # from a whole line
    assert "The last 64 KB of 605 KB" in result["stdout_note"]
    assert result["stderr"].strip() == HOSTILE  # markup shown as text
    for page in ("schedules", "run"):
        assert result[f"axe_{page}"] == [], page
    assert_clean(result)
