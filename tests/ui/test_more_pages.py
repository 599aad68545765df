"""The web UI's pipelines, monitoring and admin pages and the run page's artifact
previews, in a real browser (Debian's chromium through Playwright).

The workspace is livekit's, plus: a two-step pipeline run twice (the second time from
the cache), a pipeline whose step fails with a hostile message, a run with a text, a CSV
and a PNG artifact, a live monitor's result over a written inference log (drift, so a
breach), three users and a second, empty project. The owner browses it through
``shipyard ui``; a viewer through ``shipyard server``, after a contributor logged
artifacts through that server (the server's objects are what previews read).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.ui.browser import requires_browser, run_in_browser
from tests.ui.livekit import (
    HOSTILE,
    PASSWORD,
    SHIPYARD,
    assert_clean,
    requires_build,
    seed_workspace,
    serving,
)

pytestmark = [requires_browser, requires_build()]

FLOWS = f"""
import time
from pathlib import Path

from shipyard import pipeline, step


@step
def prepare(n: int) -> list:
    print("preparing", n)
    return list(range(n))


@step
def train(values: list) -> int:
    return sum(values)


@pipeline
def nightly(n: int = 5) -> None:
    train(prepare(n))


@step
def explode(values: list) -> int:
    raise ValueError({HOSTILE!r})


@pipeline
def fragile(n: int = 3) -> None:
    explode(prepare(n))


@step(cache=False)
def wait_for_gate(gate: str) -> str:
    # Bounded: a test that never opens the gate still ends.
    deadline = time.monotonic() + 240
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return "opened"


@step(cache=False)
def report(word: str) -> str:
    return word.upper()


@pipeline
def gated(gate: str = "gate") -> None:
    report(wait_for_gate(gate))
"""

# A run with artifacts (logged in-process), a live monitor's inference log and its
# reference, three users and a second project for empty states.
SEED = f"""
import struct, zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np, pandas as pd
import shipyard
from shipyard.auth.service import AuthService
from shipyard.context import open_context
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.serving.log_store import write_batch
from shipyard.store.projects import ensure_project


def png(width, height):
    raw = b"".join(b"\\x00" + b"".join(bytes([(x * 9) % 256, (y * 15) % 256, 160])
                                      for x in range(width)) for y in range(height))
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


art = Path("artifacts")
art.mkdir()
(art / "notes.txt").write_text("first line\\n" + {HOSTILE!r} + "\\n")
(art / "table.csv").write_text('city,count\\nOslo,3\\n"Bergen, west",' + {HOSTILE!r} + "\\n")
(art / "plot.png").write_bytes(png(24, 16))
(art / "model.bin").write_bytes(bytes(range(256)))
with shipyard.start_run("reports", "with artifacts") as run:
    for name in ("notes.txt", "table.csv", "plot.png", "model.bin"):
        run.log_artifact(art / name)

rng = np.random.default_rng(0)
pd.DataFrame({{"age": rng.normal(40, 10, 400).round(1),
              "plan": rng.choice(["basic", "pro"], 400)}}).to_csv("reference.csv", index=False)
n = 200
start = datetime.now(UTC) - timedelta(minutes=30)
ctx = open_context()
write_batch(ctx, model="churn", version="v1", kind="predictions", columns={{
    "_request_id": [f"r{{i}}" for i in range(n)], "_row": [0] * n,
    "_time": [start + timedelta(seconds=i) for i in range(n)], "_version": ["v1"] * n,
    "_variant": ["primary"] * n, "age": rng.normal(65, 10, n).round(1).tolist(),
    "plan": rng.choice(["basic", "pro"], n).tolist()}})
auth = AuthService(ctx.db)
with ctx.db.write() as session:
    ensure_project(session, LOCAL_OWNER, "quiet")
auth.add_user(LOCAL_OWNER, "ada", password={PASSWORD!r}, role=Role.parse("contributor"),
              project="demo")
auth.add_user(LOCAL_OWNER, "vic", password={PASSWORD!r}, role=Role.parse("viewer"),
              project="demo")
auth.set_role(LOCAL_OWNER, "vic", "quiet", Role.parse("viewer"))
auth.add_user(LOCAL_OWNER, "bo", password={PASSWORD!r}, role=Role.parse("viewer"), project="demo")
ctx.close()
"""

# Logged through the team server by a contributor: its objects are then the project's.
REMOTE = f"""
from pathlib import Path
import shipyard

folder = Path("remote")
folder.mkdir()
(folder / "log.txt").write_text("epoch 1\\n" + {HOSTILE!r} + "\\n")
rows = "\\n".join(f"{{i}},{{i * i}}" for i in range(80))
(folder / "rows.csv").write_text("a,b\\n" + rows + "\\n")
with shipyard.start_run("reports", "remote artifacts") as run:
    run.log_artifact(folder / "log.txt")
    run.log_artifact(folder / "rows.csv")
    run.log_artifact(Path({{png!r}}))
"""


def _shipyard(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SHIPYARD, *args], cwd=root, capture_output=True, text=True,
                          check=check)  # fmt: skip


def _python(root: Path, code: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = seed_workspace(tmp_path_factory.mktemp("more-ui") / "repo")
    (root / "flows.py").write_text(FLOWS)
    _shipyard(root, "pipeline", "run", "flows:nightly")
    _shipyard(root, "pipeline", "run", "flows:nightly")  # every step from the cache
    failed = _shipyard(root, "pipeline", "run", "flows:fragile", check=False)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    _python(root, SEED)
    for _ in range(2):  # two results: the drift of each feature over time
        monitor = _shipyard(root, "monitor", "run", "churn", "--window", "2h",
                            "--reference", "reference.csv", check=False)  # fmt: skip
        assert monitor.returncode == 1, monitor.stdout + monitor.stderr  # 1: a breach (drift)
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_owner_browses_pipelines_monitors_admin_and_previews(
    workspace: Path, tmp_path: Path
) -> None:
    with serving(workspace, "ui", "--port", "0") as live:
        result = run_in_browser(
            f"""
            page.goto({live.url!r})
            expect(page.get_by_test_id("run-row").first).to_be_visible()
            page.get_by_role("link", name="Pipelines").click()
            rows = page.get_by_test_id("pipeline-row")
            expect(rows.filter(has_text="nightly")).to_have_count(2)
            expect(rows.filter(has_text="fragile")).to_have_count(1)
            report("list_text", page.get_by_test_id("pipelines-table").inner_text())
            report("axe_pipelines", axe())
            shot("pipelines")

            rows.filter(has_text="fragile").get_by_role("link", name="fragile").click()
            expect(page.get_by_test_id("steps-table")).to_be_visible()
            report("hostile_error", page.get_by_text({HOSTILE!r}, exact=False).count())
            report("axe_failed", axe())

            page.goto("/#/pipelines")
            rows.filter(has_text="2 cached").get_by_role("link", name="nightly").click()
            expect(page.get_by_test_id("step-box")).to_have_count(2)
            report("edges", page.get_by_test_id("step-edge").count())
            report("boxes", page.get_by_test_id("step-box").all_text_contents())
            report("summary", page.get_by_test_id("pipeline-summary").inner_text())
            report("axe_pipeline", axe())
            shot("pipeline")
            page.get_by_test_id("step-box").first.click()
            expect(page.get_by_test_id("run-name")).to_have_text("prepare")

            page.goto("/#/pipelines")
            rows.filter(has_text="2 finished").get_by_role("link", name="nightly").click()
            page.get_by_test_id("step-link").first.click()
            expect(page.get_by_test_id("run-name")).to_have_text("prepare")
            log = page.locator("tr[data-path='step.log']")
            log.get_by_test_id("preview-toggle").click()
            expect(page.get_by_test_id("preview-text")).to_contain_text("preparing")
            report("axe_step_run", axe())

            page.goto("/#/pipelines?pipeline=nothing-here")
            expect(page.get_by_test_id("pipelines-empty")).to_be_visible()
            page.goto("/#/pipelines/01zzzzzzzzzzzzzzzzzzzzzzzz")
            expect(page.get_by_role("alert")).to_contain_text("no run")

            page.get_by_role("link", name="Monitoring").click()
            card = page.get_by_test_id("monitor-card")
            expect(card).to_have_count(1)
            report("monitor", card.inner_text())
            over_time = card.get_by_test_id("monitor-drift-over-time")
            expect(over_time).to_be_visible()
            report("sparklines", over_time.locator("svg.sparkline polyline").count())
            report("axe_monitors", axe())
            shot("monitors")

            page.get_by_role("link", name="Admin").click()
            expect(page.get_by_test_id("users-table")).to_be_visible()
            report("users", page.get_by_test_id("users-table").inner_text())
            page.get_by_test_id("token-owner").select_option("bo")
            expect(page.get_by_text("bo has no tokens.")).to_be_visible()
            page.get_by_test_id("token-name").fill("ci")
            page.get_by_test_id("token-expires").fill("forever")
            page.get_by_test_id("token-create").click()
            expect(page.get_by_text("The token was not created")).to_be_visible()
            page.get_by_test_id("token-expires").fill("30d")
            page.get_by_test_id("token-create").click()
            expect(page.get_by_test_id("token-secret")).to_be_visible()
            report("secret", page.get_by_test_id("token-secret").input_value())
            report("secret_readonly", page.get_by_test_id("token-secret").get_attribute("readonly"))
            expect(page.get_by_test_id("token-row")).to_have_count(1)
            report("axe_admin", axe())
            shot("admin-token")
            page.get_by_test_id("token-revoke").click()
            page.get_by_test_id("confirm-ok").click()
            expect(page.get_by_test_id("token-row").get_by_text("revoked")).to_be_visible()
            report("revoke_buttons", page.get_by_test_id("token-revoke").count())
            page.get_by_test_id("audit-verify").click()
            expect(page.get_by_test_id("audit-result")).to_contain_text("intact")
            report("axe_audit", axe())
            shot("admin")
            """,
            base_url=live.base,
            out_dir=tmp_path,
        )
    assert "manual" in result["list_text"]
    assert "1 failed" in result["list_text"]
    assert result["hostile_error"] >= 1  # the step's error, as text
    assert result["edges"] == 1  # prepare's output is train's input
    assert all("cached" in box for box in result["boxes"])
    assert "2 cached" in result["summary"]
    assert result["sparklines"] >= 1  # one line per feature tested
    assert "breach" in result["monitor"]
    assert "drift" in result["monitor"]
    assert "ada" in result["users"]
    assert "demo: viewer" in result["users"]
    assert result["secret"].startswith("shy_")
    assert result["secret_readonly"] == ""
    assert result["revoke_buttons"] == 0
    for page in ("pipelines", "failed", "pipeline", "step_run", "monitors", "admin", "audit"):
        assert result[f"axe_{page}"] == [], page
    assert_clean(result)
    tokens = _shipyard(workspace, "tokens", "ls", "--user", "bo", "--json")
    (token,) = json.loads(tokens.stdout)
    assert (token["name"], token["revoked"]) == ("ci", True)


def test_a_running_pipeline_is_followed_live_until_it_finishes(
    workspace: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    pipeline = subprocess.Popen(
        [SHIPYARD, "pipeline", "run", "flows:gated", "--param", f"gate={gate}"],
        cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with serving(workspace, "ui", "--port", "0") as live:
            result = run_in_browser(
                f"""
                from pathlib import Path

                page.goto({live.url!r})
                expect(page.get_by_test_id("run-row").first).to_be_visible()
                page.goto("/#/pipelines?pipeline=gated")
                row = page.get_by_test_id("pipeline-row")
                for _ in range(240):  # until the pipeline process has started its run
                    page.reload()
                    expect(row.or_(page.get_by_test_id("pipelines-empty"))).to_be_visible()
                    if row.count():
                        break
                    page.wait_for_timeout(500)
                row.get_by_role("link", name="gated").click()
                live = page.get_by_test_id("pipeline-live")
                expect(live).to_contain_text("updates every 2 seconds")
                expect(page.locator("[data-step='wait_for_gate']")).to_contain_text("running")
                report("axe_running", axe())
                shot("pipeline-running")
                Path({str(gate)!r}).touch()
                expect(page.locator("[data-step='report']")).to_contain_text("finished")
                expect(live).to_have_text("")
                report("status", page.get_by_test_id("pipeline-summary").inner_text())
                report("edges", page.get_by_test_id("step-edge").count())
                """,
                base_url=live.base,
                out_dir=tmp_path,
            )
        assert pipeline.wait(120) == 0
    finally:
        gate.touch()
        if pipeline.poll() is None:
            pipeline.kill()
            pipeline.wait(30)
    assert "finished" in result["status"]
    assert result["edges"] == 1
    assert result["axe_running"] == []
    assert_clean(result)


def _login_token(base: str, user: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login",
        data=json.dumps({"name": user, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return str(json.load(answer)["token"])


def test_a_viewer_previews_artifacts_and_meets_no_admin_page(
    workspace: Path, tmp_path: Path
) -> None:
    image = workspace / "artifacts" / "plot.png"
    with serving(workspace, "server", "--port", str(_free_port())) as live:
        env = {**os.environ, "SHIPYARD_URI": live.base, "SHIPYARD_PROJECT": "demo",
               "SHIPYARD_TOKEN": _login_token(live.base, "ada")}  # fmt: skip
        _python(tmp_path, REMOTE.replace("{png!r}", repr(str(image))), env)
        result = run_in_browser(
            f"""
            page.goto("/")
            page.get_by_test_id("login-user").fill("vic")
            page.get_by_test_id("login-password").fill({PASSWORD!r})
            page.get_by_test_id("login-submit").click()
            expect(page.get_by_test_id("runs-table")).to_be_visible()
            report("admin_links", page.locator("a[data-nav='admin']").count())

            page.get_by_text("remote artifacts", exact=True).click()
            expect(page.get_by_test_id("artifact-row")).to_have_count(3)
            for path in ("log.txt", "rows.csv", "plot.png"):
                page.locator(f"tr[data-path='{{path}}']").get_by_test_id("preview-toggle").click()
            expect(page.get_by_test_id("preview-text")).to_contain_text({HOSTILE!r})
            expect(page.get_by_test_id("preview-csv")).to_be_visible()
            expect(page.get_by_test_id("preview-image")).to_be_visible()
            report("csv_rows", page.get_by_test_id("preview-csv").locator("tbody tr").count())
            report("csv_note", page.locator("tr[data-path='rows.csv'] + tr").inner_text())
            report("image", page.get_by_test_id("preview-image").evaluate(
                "i => [i.naturalWidth, i.naturalHeight, i.src.slice(0, 22)]"))
            report("axe_previews", axe())
            shot("previews")
            page.locator("tr[data-path='log.txt']").get_by_test_id("preview-toggle").click()
            expect(page.get_by_test_id("preview-text")).to_be_hidden()

            page.goto("/#/runs")
            expect(page.get_by_test_id("run-row").first).to_be_visible()
            page.get_by_text("with artifacts", exact=True).click()
            report("no_preview", page.locator("tr[data-path='model.bin']").get_by_test_id(
                "preview-toggle").count())

            page.goto("/#/admin")
            expect(page.get_by_role("alert")).to_contain_text("Not allowed")
            report("axe_admin", axe())
            page.goto("/#/pipelines")
            expect(page.get_by_test_id("pipeline-row").first).to_be_visible()
            report("axe_pipelines", axe())
            page.get_by_test_id("pipeline-row").first.get_by_role("link").first.click()
            expect(page.get_by_test_id("step-box").first).to_be_visible()
            report("axe_pipeline", axe())
            page.goto("/#/monitors")
            expect(page.get_by_test_id("monitor-card")).to_be_visible()
            report("axe_monitors", axe())

            page.get_by_test_id("project-picker").select_option("quiet")
            page.goto("/#/pipelines")
            expect(page.get_by_test_id("pipelines-empty")).to_be_visible()
            report("axe_empty_pipelines", axe())
            page.goto("/#/monitors")
            expect(page.get_by_test_id("monitors-empty")).to_be_visible()
            report("axe_empty_monitors", axe())
            """,
            base_url=live.base,
            out_dir=tmp_path,
        )
    assert result["admin_links"] == 0
    assert result["csv_rows"] == 50
    assert "The first 50 rows" in result["csv_note"]
    assert result["image"] == [24, 16, "data:image/png;base64,"]
    assert result["no_preview"] == 0
    for page in ("previews", "admin", "pipelines", "pipeline", "monitors", "empty_pipelines",
                 "empty_monitors"):  # fmt: skip
        assert result[f"axe_{page}"] == [], page
    assert_clean(result)
