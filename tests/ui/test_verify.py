"""From a run to the model version it registered, and that version's "Verify now", in a
real browser: the server checks the version's files and signature and the page says
what it found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.browser import requires_browser, run_in_browser
from tests.ui.livekit import SHIPYARD, assert_clean, requires_build, serving

pytestmark = [requires_browser, requires_build()]

REGISTER = """
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
import shipyard
from shipyard.models.signing.keys import generate_keys

generate_keys(Path(".shipyard/keys"))
X = np.random.default_rng(0).normal(size=(40, 3))
with shipyard.start_run("train", "fit") as run:
    run.log_model(LogisticRegression().fit(X, X[:, 0] > 0), "signed", input_example=X[:3])
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("verify-ui") / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([SHIPYARD, "init", "-p", "demo"], cwd=root, check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", REGISTER], cwd=root, check=True, capture_output=True)
    return root


def test_a_run_links_the_version_it_registered_which_verifies(
    workspace: Path, tmp_path: Path
) -> None:
    with serving(workspace, "ui", "--port", "0") as live:
        result = run_in_browser(
            f"""
            page.goto({live.url!r})
            page.get_by_role("link", name="fit").click()
            models = page.get_by_test_id("run-models-table")
            expect(models).to_be_visible()
            report("models", models.inner_text())
            report("axe_run", axe())
            models.get_by_role("link", name="v1").click()
            page.get_by_test_id("verify-button").click()
            outcome = page.get_by_test_id("verify-outcome")
            expect(outcome).to_contain_text("Verified")
            report("outcome", outcome.inner_text())
            report("axe", axe())
            """,
            base_url=live.base,
            out_dir=tmp_path,
        )
    assert "signed\tv1\tsklearn\tyes" in result["models"]
    assert result["axe_run"] == []
    assert "Verified: signature by" in result["outcome"]
    assert "covers the manifest and its" in result["outcome"]
    assert result["axe"] == []
    assert_clean(result)
