"""Approve and promote, the rendered model card and the datasets pages, in a real browser.

The workspace's ``production`` alias has gates (a metric threshold and one approval), so
a maintainer's first promotion is refused by the approval gate, shown as an error box
with the gate table; after approving, the promotion passes and moves the alias, which
the CLI's alias history confirms. Datasets come from ``shipyard data add`` run twice on
the same file: the embedded workspace records each version in its metadata store.
"""

from __future__ import annotations

import json
import socket
import subprocess
import textwrap
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

GATES = """
[gates.production]
metrics = { accuracy = ">= 0.5" }
approval = { count = 1 }
"""
LOG_IN = """
page.goto("/")
page.get_by_test_id("login-user").fill({user!r})
page.get_by_test_id("login-password").fill({password!r})
page.get_by_test_id("login-submit").click()
expect(page.get_by_test_id("runs-table")).to_be_visible()
"""


def _as(user: str) -> str:
    """The browser script's first lines: log in as ``user``."""
    return LOG_IN.format(user=user, password=PASSWORD)


def _shipyard(root: Path, *args: str) -> str:
    done = subprocess.run([SHIPYARD, *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = seed_workspace(tmp_path_factory.mktemp("ui-models-data") / "repo")
    data = root / "data"
    data.mkdir()
    (data / "train.csv").write_text("x,y\n1,2\n3,4\n")
    _shipyard(root, "data", "add", "data/train.csv")
    (data / "train.csv").write_text("x,y\n1,2\n3,4\n5,6\n")
    _shipyard(root, "data", "add", "data/train.csv", "-m", f"three rows {HOSTILE}")
    _shipyard(
        root, "models", "describe", "churn",
        "--overview", "Predicts which customers leave next month.",
        "--intended-use", "Ranking accounts for the retention team.",
        "--limitations", "- trained on 60 rows\n- no seasonality",
    )  # fmt: skip
    config = root / ".shipyard" / "config.toml"
    config.write_text(config.read_text() + GATES)
    add_user(root, "mia", "maintainer")
    add_user(root, "vic", "viewer")
    return root


def test_the_owner_reads_the_card_and_the_datasets(workspace: Path, tmp_path: Path) -> None:
    with serving(workspace, "ui", "--port", "0") as live:
        result = run_in_browser(
            f"""
            page.goto({live.url!r})
            expect(page.get_by_test_id("run-row").first).to_be_visible()
            page.get_by_role("link", name="Datasets").click()
            table = page.get_by_test_id("datasets-table")
            expect(table).to_be_visible()
            row = page.get_by_test_id("dataset-row").filter(has_text="data/train.csv")
            report("listed", row.locator("td").nth(0).inner_text())
            report("axe_datasets", axe())
            shot("datasets")
            row.get_by_role("link", name="data/train.csv").click()
            versions = page.get_by_test_id("dataset-version-row")
            expect(versions).to_have_count(2)
            report("order", [versions.nth(i).locator("th").inner_text() for i in range(2)])
            report("message", versions.first.locator("td").last.inner_text())
            report("digest", versions.first.locator("code").inner_text())
            report("axe_dataset", axe())
            page.goto("/#/datasets/" + "no-such-data")
            expect(page.get_by_test_id("error")).to_be_visible()
            report("missing", page.get_by_test_id("error").inner_text())
            report("axe_missing", axe())
            page.goto("/#/models/churn/versions/2")
            card = page.get_by_test_id("version-card")
            expect(card).to_be_visible()
            report("description", page.get_by_test_id("card-description").inner_text())
            report("intended", page.get_by_test_id("card-intended-use").inner_text())
            limits = page.get_by_test_id("card-limitations").locator("li")
            report("limits", limits.all_inner_texts())
            report("metrics", page.get_by_test_id("card-metrics").locator("tbody tr").count())
            report("run_link", page.get_by_test_id("card-run").get_attribute("href"))
            inputs = page.get_by_test_id("signature-inputs").locator("tbody tr")
            report("inputs", inputs.all_inner_texts())
            report("outputs", page.get_by_test_id("signature-outputs").inner_text())
            report("signing", page.get_by_test_id("card-signing").inner_text())
            report("axe_version", axe())
            shot("version")
            """,
            base_url=live.base,
            out_dir=tmp_path,
        )
    assert result["listed"] == "2"  # two versions of data/train.csv
    assert result["order"] == ["v2", "v1"]
    assert result["message"] == f"three rows {HOSTILE}"  # shown as text
    assert len(result["digest"]) == 13
    assert result["digest"].endswith("…")
    assert "no-such-data" in result["missing"] or "not found" in result["missing"].lower()
    assert "Predicts which customers leave" in result["description"]
    assert "retention team" in result["intended"]
    assert result["limits"] == ["trained on 60 rows", "no seasonality"]
    assert result["metrics"] >= 2  # accuracy and loss, logged by the run
    assert str(result["run_link"]).startswith("#/runs/")
    assert [" ".join(r.split()) for r in result["inputs"]] == ["x float64", "y float64"]
    assert "int64" in result["outputs"]
    assert result["signing"] == "Not signed."
    for page in ("datasets", "dataset", "missing", "version"):
        assert result[f"axe_{page}"] == [], page
    assert_clean(result)


def test_a_workspace_without_data_says_how_to_add_some(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    _shipyard(root, "init", "-p", "bare")
    with serving(root, "ui", "--port", "0") as live:
        result = run_in_browser(
            f"""
            page.goto({live.url!r})
            page.goto("/#/datasets")
            expect(page.get_by_test_id("datasets-empty")).to_be_visible()
            report("text", page.get_by_test_id("datasets-empty").inner_text())
            report("axe", axe())
            """,
            base_url=live.base,
            out_dir=tmp_path,
        )
    assert "No datasets yet: shipyard data add PATH" in result["text"]
    assert result["axe"] == []
    assert_clean(result)


def test_a_maintainer_approves_and_promotes_and_a_viewer_cannot(
    workspace: Path, tmp_path: Path
) -> None:
    reason = f"v2 passed review {HOSTILE}"
    with serving(workspace, "server", "--port", str(_free_port())) as live:
        viewer = run_in_browser(
            _as("vic")
            + textwrap.dedent("""
            page.goto("/#/models/churn/versions/2")
            expect(page.get_by_test_id("version-card")).to_be_visible()
            expect(page.get_by_test_id("card-signature")).to_be_visible()
            report("controls", page.get_by_test_id("promotion").count())
            report("buttons", page.get_by_role("button", name="Promote to alias…").count())
            expect(page.get_by_test_id("version-approvals")).not_to_be_empty()
            report("approvals", page.get_by_test_id("version-approvals").inner_text())
            page.get_by_role("link", name="Datasets").click()
            expect(page.get_by_test_id("dataset-row").first).to_be_visible()
            report("axe", axe())
            """),
            base_url=live.base,
            out_dir=tmp_path / "viewer",
        )
        maintainer = run_in_browser(
            _as("mia")
            + textwrap.dedent(f"""
            page.goto("/#/models/churn/versions/2")
            panel = page.get_by_test_id("promotion")
            expect(panel).to_be_visible()
            expect(page.get_by_test_id("promote-alias")).to_have_value("production")
            # Without an approval the approval gate refuses: an error box with the table.
            page.get_by_test_id("promote-button").click()
            page.get_by_test_id("promote-reason").fill({reason!r})
            page.get_by_test_id("confirm-ok").click()
            box = page.get_by_test_id("promotion-outcome").get_by_test_id("error")
            expect(box).to_be_visible()
            report("refused", box.locator(".error-title").inner_text())
            failed = box.locator("[data-testid=gate-row].fail")
            report("failed_gates", [failed.nth(i).get_attribute("data-gate")
                                    for i in range(failed.count())])
            report("refused_evidence", failed.first.inner_text())
            report("aliases_refused", page.get_by_test_id("version-aliases").inner_text())
            report("axe_refused", axe())
            shot("refused")
            # A reason is required: without one the dialog stays open.
            page.get_by_test_id("approve-button").click()
            page.get_by_test_id("confirm-ok").click()
            expect(page.get_by_test_id("confirm-dialog")).to_be_visible()
            report("missing_reason", page.get_by_test_id("approve-reason").evaluate(
                "e => e.validity.valueMissing"))
            page.get_by_test_id("approve-reason").fill("reviewed the March window")
            page.get_by_test_id("confirm-ok").click()
            expect(page.get_by_test_id("promotion-notice")).to_contain_text("approved v2")
            report("approved", page.get_by_test_id("promotion-notice").inner_text())
            approvals = page.get_by_test_id("approvals-table")
            expect(approvals).to_contain_text("reviewed the March window")
            report("approvals", approvals.inner_text())
            page.get_by_test_id("promote-button").click()
            page.get_by_test_id("promote-reason").fill({reason!r})
            page.get_by_test_id("confirm-ok").click()
            table = page.get_by_test_id("promotion-outcome").get_by_test_id("gate-table")
            expect(table).to_be_visible()
            expect(page.get_by_test_id("version-aliases")).to_have_text("@production")
            rows = table.get_by_test_id("gate-row")
            report("gates", [rows.nth(i).get_attribute("data-gate") for i in range(rows.count())])
            report("passed", table.locator("tr.pass").count())
            report("evidence", rows.all_inner_texts())
            report("axe_promoted", axe())
            shot("promoted")
            """),
            base_url=live.base,
            out_dir=tmp_path / "maintainer",
        )
    assert viewer["controls"] == 0
    assert viewer["buttons"] == 0
    assert viewer["approvals"] == "No approvals yet."
    assert viewer["axe"] == []
    assert_clean(viewer)
    assert maintainer["missing_reason"] is True
    assert maintainer["refused"] == "The gates refused the promotion"
    assert maintainer["failed_gates"] == ["approval"]
    assert maintainer["aliases_refused"] == "–"
    assert "mia (maintainer) approved v2 for @production" in maintainer["approved"]
    assert "@production\tmia\tmaintainer" in maintainer["approvals"]
    assert sorted(maintainer["gates"]) == ["approval", "metrics"]
    assert maintainer["passed"] == 2
    assert any("approved by mia" in text for text in maintainer["evidence"])
    assert maintainer["axe_refused"] == []
    assert maintainer["axe_promoted"] == []
    assert_clean(maintainer)
    history = json.loads(_shipyard(workspace, "models", "alias", "history", "churn", "--json"))
    last = history[-1]
    assert (last["alias"], last["action"], last["from_version"], last["to_version"]) == (
        "production", "promote", 1, 2,
    )  # fmt: skip
    assert (last["reason"], last["principal"]) == (reason, "mia")
    assert {g["gate"] for g in last["evaluation"]["gates"]} == {"approval", "metrics"}
