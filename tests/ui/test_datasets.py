"""A dataset version's profile and two versions compared, in a real browser.

Two versions of a CSV: the second turns ``id`` from integers into decimals and adds a
``segment`` column; one column is named ``<img src=x onerror=alert(1)>``. The owner
reads them under ``shipyard ui`` (added with ``shipyard data add`` in the workspace); a
viewer reads them on ``shipyard server``, where a contributor pushed them from a clone
of their own (``data add`` records through the server, ``data push`` sends the bytes).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.data.conftest import RETYPED
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

# Reports, from the page: the profile's columns (names as shown, types, a histogram or
# not), then the comparison's schema changes and highlighted columns; axe on both.
READ_PROFILE_AND_DIFF = """
rows = page.get_by_test_id("dataset-version-row")
expect(rows).to_have_count(2)
rows.first.get_by_role("link", name="v2").click()
expect(page.get_by_test_id("profile-columns")).to_be_visible()
report("title", page.get_by_test_id("dataset-version-title").inner_text())
columns = page.get_by_test_id("profile-column")
report("columns", [columns.nth(i).locator("th").inner_text() for i in range(columns.count())])
report("types", {columns.nth(i).get_attribute("data-column"): columns.nth(i).locator("td").first
                 .inner_text() for i in range(columns.count())})
score = page.locator("[data-testid=profile-column][data-column='score']")
report("score_nulls", score.locator("td").nth(1).inner_text())
report("histograms", page.locator("svg.histogram").count())
report("histogram_title", score.locator("svg > title").text_content())
report("images", page.locator("main img").count())
report("axe_profile", axe())
shot("dataset-profile")
page.get_by_test_id("compare-previous").click()
expect(page.get_by_test_id("diff-file")).to_be_visible()
report("summary", page.get_by_test_id("diff-summary").inner_text())
report("added", page.get_by_test_id("column-added").all_inner_texts())
report("retyped", page.get_by_test_id("column-retyped").all_inner_texts())
changed = page.locator("[data-testid=diff-column].diff")
report("changed", [changed.nth(i).get_attribute("data-column") for i in range(changed.count())])
report("rows_cell", page.locator("[data-testid=diff-column][data-column='score'] td[data-changed]")
       .first.inner_text())
report("images_diff", page.locator("main img").count())
report("axe_diff", axe())
shot("dataset-diff")
# The control on the dataset's page: pick the versions the other way round.
page.get_by_role("link", name="data/{name}").first.click()
form = page.get_by_test_id("compare-versions")
form.get_by_label("From").select_option("2")
form.get_by_label("To").select_option("1")
form.get_by_role("button", name="Compare versions").click()
expect(page.get_by_test_id("column-removed")).to_be_visible()
report("removed", page.get_by_test_id("column-removed").all_inner_texts())
report("hash", page.evaluate("location.hash"))
report("axe_dataset", axe())
"""


def _script(enter: str, name: str) -> str:
    """Enter the app (``enter``), open data/NAME's page, then read and report."""
    opening = f'page.goto("/#/datasets/" + "data%2F{name}")\n'
    return textwrap.dedent(enter) + opening + READ_PROFILE_AND_DIFF.replace("{name}", name)


def _shipyard(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([SHIPYARD, *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _two_versions(root: Path, name: str, env: dict[str, str] | None = None) -> None:
    """``data add`` of V1 then V2, each committed (so that both can be pushed)."""
    path = root / "data" / name
    path.parent.mkdir(exist_ok=True)
    git = {**os.environ, "GIT_AUTHOR_NAME": "Tess Ter", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "Tess Ter", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    for text in RETYPED:
        path.write_text(text)
        _shipyard(root, "data", "add", f"data/{name}", env=env)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run(["git", "commit", "-qm", name], cwd=root, check=True, env=git)


def _token(root: Path, user: str) -> str:
    code = (
        "from shipyard.context import open_context;"
        "from shipyard.auth.service import AuthService;"
        "from shipyard.core.principal import LOCAL_OWNER;"
        "ctx = open_context();"
        f"print(AuthService(ctx.db).create_token(LOCAL_OWNER, name='t', user={user!r}).secret)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = seed_workspace(tmp_path_factory.mktemp("ui-datasets") / "repo")
    _two_versions(root, "train.csv")
    add_user(root, "vic", "viewer")
    add_user(root, "cora", "contributor")
    return root


def _report_checks(result: dict[str, object]) -> None:
    assert result["columns"] == ["id", "score", "city", HOSTILE, "segment"]  # as text
    assert str(result["types"]["id"]).startswith("double")  # type: ignore[index]
    assert result["score_nulls"] == "1 (25 %)"
    assert result["histograms"] == 5  # a histogram or top values for every column
    assert "Histogram of score" in str(result["histogram_title"])
    assert result["images"] == result["images_diff"] == 0  # no <img> from the column name
    assert "1 file changed" in str(result["summary"])
    assert result["added"] == ["+ added segment"]
    assert result["retyped"] == ["~ id: int64 → double"]
    assert set(result["changed"]) == {"id", "score", "city", HOSTILE}  # type: ignore[arg-type]
    assert result["rows_cell"] == "3 → 4"
    assert result["removed"] == ["− removed segment"]
    assert "from=2&to=1" in str(result["hash"])
    for page in ("profile", "diff", "dataset"):
        assert result[f"axe_{page}"] == [], page
    assert_clean(result)


def test_the_owner_reads_a_profile_and_compares_versions(workspace: Path, tmp_path: Path) -> None:
    with serving(workspace, "ui", "--port", "0") as live:
        result = run_in_browser(
            _script(
                f"""
                page.goto({live.url!r})
                expect(page.get_by_test_id("run-row").first).to_be_visible()
                """,
                "train.csv",
            ),
            base_url=live.base,
            out_dir=tmp_path,
        )
    _report_checks(result)


def test_a_viewer_reads_what_a_contributor_pushed_to_the_server(
    workspace: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=clone, check=True)
    _shipyard(clone, "init", "-p", "demo")
    with serving(workspace, "server", "--port", str(_free_port())) as live:
        env = {"SHIPYARD_URI": live.base, "SHIPYARD_TOKEN": _token(workspace, "cora"),
               "SHIPYARD_PROJECT": "demo"}  # fmt: skip
        _shipyard(clone, "remote", "add", "origin", live.base, env=env)
        _two_versions(clone, "team.csv", env=env)
        _shipyard(clone, "data", "push", "--rev", "HEAD~1", env=env)
        _shipyard(clone, "data", "push", env=env)
        result = run_in_browser(
            _script(
                f"""
                page.goto("/")
                page.get_by_test_id("login-user").fill("vic")
                page.get_by_test_id("login-password").fill({PASSWORD!r})
                page.get_by_test_id("login-submit").click()
                expect(page.get_by_test_id("runs-table")).to_be_visible()
                """,
                "team.csv",
            ),
            base_url=live.base,
            out_dir=tmp_path / "viewer",
        )
    _report_checks(result)
