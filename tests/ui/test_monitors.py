"""The monitoring page's performance, alerts and report, in a real browser.

The workspace is livekit's, plus a live monitor over a written inference log whose
feedback labels make accuracy decay far below its training baseline (and whose
features drift), with a webhook to a receiver in this test and an ``on_breach``
command that retrains as a tracked run (``shipyard run``). The monitor runs twice:
the first breach posts and triggers, the second is the same breach and stays quiet.
The owner browses it through ``shipyard ui``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.monitoring.live.test_service import Receiver, receiver  # noqa: F401  (fixture)
from tests.ui.browser import requires_browser, run_in_browser
from tests.ui.livekit import SHIPYARD, assert_clean, requires_build, seed_workspace, serving

pytestmark = [requires_browser, requires_build()]

SEED = """
from datetime import UTC, datetime, timedelta

import numpy as np, pandas as pd
from shipyard.context import open_context
from shipyard.serving.log_store import write_batch

rng = np.random.default_rng(0)
pd.DataFrame({"age": rng.normal(40, 10, 400).round(1),
              "plan": rng.choice(["basic", "pro"], 400)}).to_csv("reference.csv", index=False)
n = 200
start = datetime.now(UTC) - timedelta(minutes=30)
ids = [f"r{i}" for i in range(n)]
with open_context() as ctx:
    write_batch(ctx, model="churn", version="v1", kind="predictions", columns={
        "_request_id": ids, "_row": [0] * n,
        "_time": [start + timedelta(seconds=i) for i in range(n)], "_version": ["v1"] * n,
        "_variant": ["primary"] * n, "age": rng.normal(65, 10, n).round(1).tolist(),
        "plan": rng.choice(["basic", "pro"], n).tolist(), "_prediction": [1] * n})
    write_batch(ctx, model="churn", version="-", kind="feedback", columns={
        "_request_id": ids, "_row": [-1] * n, "_time": [start + timedelta(minutes=5)] * n,
        "label": [i % 2 for i in range(n)]})  # accuracy 0.5 against 0.99 at training
"""

RETRAIN = "print('retraining on fresh data')\n"


def _monitor_config() -> str:
    python = Path(sys.executable).as_posix()
    return f"""
[monitors.churn]
model = "churn"
window = "2h"
reference = "reference.csv"
baseline = {{ accuracy = 0.99 }}
webhooks = ["env:TEAM_HOOK"]
on_breach = ["{SHIPYARD}", "run", "-e", "retrain", "-n", "retrain", "--", "{python}", "retrain.py"]
"""


@pytest.fixture
def workspace(tmp_path: Path, receiver: Receiver) -> Path:  # noqa: F811
    root = seed_workspace(tmp_path / "repo")
    subprocess.run([sys.executable, "-c", SEED], cwd=root, check=True, capture_output=True)
    (root / "retrain.py").write_text(RETRAIN)
    config = root / ".shipyard" / "config.toml"
    config.write_text(config.read_text() + _monitor_config())
    env = {**os.environ, "TEAM_HOOK": receiver.url}
    for _ in range(2):  # the breach posts and retrains once; the same breach again is quiet
        done = subprocess.run([SHIPYARD, "monitor", "run", "churn"], cwd=root, env=env,
                              capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 1, done.stdout + done.stderr  # 1: a breach
    assert len(receiver.bodies) == 1
    return root


def test_the_owner_sees_performance_alerts_the_retraining_run_and_the_report(
    workspace: Path, tmp_path: Path
) -> None:
    with serving(workspace, "ui", "--port", "0") as live:
        result = run_in_browser(
            f"""
            page.goto({live.url!r})
            expect(page.get_by_test_id("run-row").first).to_be_visible()
            page.get_by_role("link", name="Monitoring").click()
            card = page.get_by_test_id("monitor-card")
            expect(card).to_have_count(1)

            perf = card.get_by_test_id("monitor-performance")
            expect(perf).to_be_visible()
            accuracy = perf.locator("tbody tr").filter(has_text="accuracy")
            report("accuracy", accuracy.inner_text())
            report("guides", [accuracy.locator("line.sparkline-baseline").count(),
                              accuracy.locator("line.sparkline-limit").count()])

            alerts = card.get_by_test_id("monitor-alerts")
            expect(alerts).to_be_visible()
            report("alerts", alerts.locator("tbody tr").all_inner_texts())
            report("axe_monitors", axe())
            shot("monitors-performance-alerts")

            report_link = card.get_by_test_id("monitor-report")
            report("report_target", report_link.get_attribute("target"))
            answer = page.request.get(report_link.get_attribute("href"))
            report("report_status", answer.status)
            report("report_csp", answer.headers["content-security-policy"])
            with page.expect_popup() as opened:
                report_link.click()
            popup = opened.value
            expect(popup.locator("h1")).to_have_text("Monitor churn")
            report("report_text", popup.locator("body").inner_text())
            # evaluated through DevTools (the page itself may run none): where it lives
            report("report_origin", popup.evaluate("() => window.origin"))
            report("report_cookie", popup.evaluate(
                "() => {{ try {{ return document.cookie; }} catch (e) {{ return e.name; }} }}"))
            popup.close()

            alerts.get_by_test_id("triggered-run").click()
            expect(page.get_by_test_id("run-name")).to_have_text("retrain")
            report("run_url", page.url)
            """,
            base_url=live.base,
            out_dir=tmp_path,
        )
    assert "decayed" in result["accuracy"]
    assert "0.5" in result["accuracy"]  # the newest value
    assert "at least 0.9405" in result["accuracy"]  # 5 % below the 0.99 baseline
    assert result["guides"] == [1, 1]
    trigger, webhook = result["alerts"]  # newest first
    assert "HTTP 200" in webhook
    assert "127.0.0.1" in webhook  # the host only: the URL holds the secret
    assert "SECRET" not in webhook
    assert "exit 0" in trigger
    assert "retrain" in trigger
    assert result["report_target"] == "_blank"
    assert result["report_status"] == 200
    assert result["report_csp"].startswith("sandbox;")
    assert "allow-scripts" not in result["report_csp"]
    assert "performance" in result["report_text"]
    assert "#/runs/" in result["run_url"]
    assert result["report_origin"] == "null"  # sandboxed: not the UI's origin
    assert result["report_cookie"] == "SecurityError"  # so never the session cookie
    assert result["axe_monitors"] == []
    assert_clean(result)
