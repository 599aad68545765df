"""The web UI in a real browser (Debian's chromium through Playwright): every page as
the workspace's owner (``shipyard ui``), a viewer and a maintainer (``shipyard server``),
hostile names shown as text, an alias moved from the page, axe on every page."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.ui.browser import requires_browser, run_in_browser
from tests.ui.livekit import (
    HOSTILE,
    PASSWORD,
    SHIPYARD,
    add_user,
    assert_clean,
    requires_build,
    seed_workspace,
    serving,
)

pytestmark = [requires_browser, requires_build()]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_workspace(tmp_path_factory.mktemp("ui") / "repo")


def test_the_owner_browses_runs_a_run_compare_and_models(workspace: Path, tmp_path: Path) -> None:
    with serving(workspace, "ui", "--port", "0") as live:
        result = run_in_browser(
            f"""
            page.goto({live.url!r})
            rows = page.get_by_test_id("run-row")
            expect(rows.first).to_be_visible()
            report("rows", rows.count())
            report("axe_runs", axe())
            shot("runs")
            page.get_by_test_id("runs-filter").fill(
                "params.model = 'lr' and metrics.accuracy > 0.7")
            page.get_by_test_id("runs-filter").press("Enter")
            expect(rows).to_have_count(5)
            page.get_by_test_id("runs-filter").fill("metrics.accuracy >")
            page.get_by_test_id("runs-filter").press("Enter")
            expect(page.get_by_text("QuerySyntaxError", exact=False).or_(
                page.get_by_role("alert"))).to_be_visible()
            page.get_by_test_id("runs-filter").fill("")
            page.get_by_test_id("runs-filter").press("Enter")
            expect(rows.first).to_be_visible()
            page.get_by_text({HOSTILE!r}, exact=True).first.click()
            expect(page.get_by_test_id("run-name")).to_have_text({HOSTILE!r})
            report("hostile_tag", page.get_by_text("<script>alert(2)</script>").count())
            report("axe_hostile", axe())
            page.goto("/#/runs")
            page.get_by_text("lr 29", exact=True).click()
            expect(page.get_by_test_id("metric-chart").nth(1)).to_be_visible()  # both loaded
            report("charts", page.get_by_test_id("metric-chart").count())
            report("axe_run", axe())
            shot("run")
            page.goto("/#/runs")
            page.get_by_test_id("run-select").nth(1).check()
            page.get_by_test_id("run-select").nth(2).check()
            page.get_by_test_id("compare-button").click()
            expect(page.get_by_test_id("compare-table")).to_be_visible()
            report("diff_rows", page.locator("[data-testid=compare-table] .diff").count())
            page.locator(".charts").scroll_into_view_if_needed()
            expect(page.locator(".charts [data-testid=metric-chart]").first).to_be_visible()
            report("axe_compare", axe())
            page.goto("/#/models")
            expect(page.get_by_test_id("models-table")).to_be_visible()
            report("axe_models", axe())
            page.goto("/#/models/churn")
            expect(page.get_by_test_id("alias-history-entry").first).to_be_visible()
            report("axe_model", axe())
            shot("model")
            page.goto("/#/runs/01zzzzzzzzzzzzzzzzzzzzzzzz")
            expect(page.get_by_text("no run", exact=False).first).to_be_visible()
            page.goto("/#/models/nothing-here")
            expect(page.get_by_text("no model", exact=False).first).to_be_visible()
            """,
            base_url=live.base,
            out_dir=tmp_path,
        )
    assert result["rows"] == 31
    assert result["charts"] >= 2  # loss and accuracy
    assert result["hostile_tag"] >= 1  # shown as text
    assert result["diff_rows"] >= 2  # C and accuracy differ between two runs
    for page in ("runs", "hostile", "run", "compare", "models", "model"):
        assert result[f"axe_{page}"] == [], page
    assert_clean(result)
    if os.environ.get("SHIPYARD_UI_SCREENSHOTS"):  # docs/ui.md's pictures, when asked
        SHOTS.mkdir(exist_ok=True)
        for name in ("runs", "run", "model"):
            (SHOTS / f"ui-{name}.png").write_bytes((tmp_path / f"{name}.png").read_bytes())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_viewer_sees_no_writes_and_a_maintainer_moves_an_alias_with_a_reason(
    workspace: Path, tmp_path: Path
) -> None:
    add_user(workspace, "vic", "viewer")
    add_user(workspace, "mia", "maintainer")
    log_in = """
            page.goto("/")
            page.get_by_test_id("login-user").fill({user!r})
            page.get_by_test_id("login-password").fill({password!r})
            page.get_by_test_id("login-submit").click()
            expect(page.get_by_test_id("runs-table")).to_be_visible()
    """
    with serving(workspace, "server", "--port", str(_free_port())) as live:
        viewer = run_in_browser(
            log_in.format(user="vic", password=PASSWORD)
            + """
            page.goto("/#/models/churn")
            expect(page.get_by_test_id("alias-history-entry").first).to_be_visible()
            report("controls", page.get_by_test_id("move-alias").count())
            page.goto("/")
            page.get_by_test_id("login-user").count()
            """,
            base_url=live.base,
            out_dir=tmp_path / "viewer",
        )
        reason = f"v2 beat v1 on the March window {HOSTILE}"
        maintainer = run_in_browser(
            log_in.format(user="mia", password=PASSWORD)
            + f"""
            page.goto("/#/models/churn")
            form = page.get_by_test_id("move-alias")
            expect(form).to_be_visible()
            form.get_by_label("Alias").fill("production")
            form.get_by_label("Version").select_option("2")
            page.get_by_test_id("alias-reason").fill({reason!r})
            page.get_by_test_id("alias-submit").click()
            page.get_by_role("button", name="Confirm").click()
            expect(page.get_by_text({reason!r}).first).to_be_visible()
            report("axe", axe())
            shot("alias-moved")
            """,
            base_url=live.base,
            out_dir=tmp_path / "maintainer",
        )
    assert viewer["controls"] == 0
    assert_clean(viewer)
    assert_clean(maintainer)
    assert maintainer["axe"] == []
    history = subprocess.run([SHIPYARD, "models", "alias", "history", "churn", "--json"],
                             cwd=workspace, capture_output=True, text=True, check=True)  # fmt: skip
    last = json.loads(history.stdout)[-1]
    assert (last["alias"], last["from_version"], last["to_version"]) == ("production", 1, 2)
    assert (last["reason"], last["principal"]) == (reason, "mia")
