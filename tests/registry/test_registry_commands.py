"""``shipyard models …`` and ``shipyard ci init`` as a user runs them: output and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression
from typer.testing import Result

from shipyard.models import register_model, save_model
from tests.conftest import squash

Cli = Callable[..., Result]


@pytest.fixture
def churn(workspace: Path) -> Path:
    """Two registered versions of churn, and holdout.csv labelled in column ``label``."""
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["age", "tenure", "spend"])
    y = (X["age"] + 0.5 * X["tenure"] > 0).astype(int)
    register_model(LogisticRegression().fit(X, y), "churn", input_example=X.head(5))
    register_model(LogisticRegression(C=0.01).fit(X, y), "churn", input_example=X.head(5))
    X.assign(label=y).to_csv(workspace / "holdout.csv", index=False)
    return workspace


def test_ls_and_show(cli: Cli, churn: Path) -> None:
    listed = cli("models", "ls")
    assert listed.exit_code == 0, listed.output
    assert "churn" in listed.stdout
    data = json.loads(cli("models", "ls", "--json").stdout)
    assert [(m["name"], m["latest_version"]) for m in data] == [("churn", 2)]
    shown = cli("models", "show", "churn")
    assert shown.exit_code == 0, shown.output
    assert "not written" in shown.stdout
    version = json.loads(cli("models", "show", "churn/2", "--json").stdout)
    assert version["version"] == 2
    assert version["schema"]["inputs"]["columns"][0] == {"name": "age", "dtype": "float64"}


BAD_INPUT = [
    (("models", "show", "nope"), "no model named 'nope'"),
    (("models", "show", "churn/9"), "has no version 9"),
    (("models", "show", "churn@production"), "has no alias 'production'"),
    (("models", "show", "churn/x"), "invalid version"),
    (("models", "alias", "set", "churn", "latest", "1"), "reserved alias"),
    (("models", "alias", "set", "churn", "production", "0"), "invalid model version"),
    (("models", "rollback", "churn", "production"), "has no alias 'production'"),
    (("models", "card", "churn/1", "--format", "pdf"), "unknown card format"),
    (("models", "describe", "churn"), "give at least one field"),
    (("models", "promote", "churn", "1", "--to", "latest"), "reserved alias"),
    (("models", "evaluate", "churn/1", "--data", "holdout.csv", "--target", "nope"),
     "no target column 'nope'"),
    (("models", "import-mlflow", "somewhere"), "say where the imported model goes"),
]  # fmt: skip


def test_bad_input_exits_2_with_one_line(cli: Cli, churn: Path) -> None:
    problems = []
    for args, message in BAD_INPUT:
        result = cli(*args)
        ok = result.exit_code == 2 and message in " ".join(result.stderr.split())
        if not ok or "Traceback" in result.output:
            problems.append(f"{' '.join(args)}: exit {result.exit_code}: {result.output[-300:]}")
    assert not problems, "\n".join(problems)


def test_rollback_restores_the_previous_version_and_history_shows_both_moves(
    cli: Cli, churn: Path
) -> None:
    assert cli("models", "alias", "set", "churn", "production", "1", "-r", "launch").exit_code == 0
    moved = cli("models", "alias", "set", "churn", "production", "2", "-r", "retrained")
    assert moved.exit_code == 0, moved.output
    assert "v1 → v2" in moved.stdout
    rolled = cli("models", "rollback", "churn", "production", "--reason", "complaints")
    assert rolled.exit_code == 0, rolled.output
    assert "v2 → v1" in rolled.stdout
    assert json.loads(cli("models", "show", "churn@production", "--json").stdout)["version"] == 1
    history = json.loads(cli("models", "alias", "history", "churn", "production", "--json").stdout)
    assert [(e["action"], e["from_version"], e["to_version"], e["reason"]) for e in history] == [
        ("set", None, 1, "launch"),
        ("set", 1, 2, "retrained"),
        ("rollback", 2, 1, "complaints"),
    ]
    table = cli("models", "alias", "history", "churn")
    assert "rollback" in table.stdout
    assert "complaints" in table.stdout


def test_promote_refuses_on_a_failing_gate_then_passes(cli: Cli, churn: Path) -> None:
    config = churn / ".shipyard" / "config.toml"
    config.write_text(
        config.read_text() + '\n[gates.production]\nmetrics = { accuracy = ">= 0.5" }\n'
        'beats = { data = "holdout.csv", target = "label" }\napproval = true\n'
    )
    evaluated = cli("models", "evaluate", "churn/1", "--data", "holdout.csv", "--target", "label")
    assert evaluated.exit_code == 0, evaluated.output
    assert "accuracy" in evaluated.stdout
    dry = cli("models", "promote", "churn", "1", "--to", "production", "--dry-run")
    assert dry.exit_code == 2
    assert "would be refused" in dry.stderr
    refused = cli("models", "promote", "churn", "1", "--to", "production")
    assert refused.exit_code == 2
    assert "FAIL" in refused.stdout
    assert "approval" in squash(refused.stderr)
    assert "stays unset" in refused.stderr
    assert cli("models", "show", "churn@production").exit_code == 2  # still unset
    assert cli("models", "approve", "churn", "1", "--for", "production").exit_code == 0
    promoted = cli("models", "promote", "churn", "1", "--to", "production", "--json")
    assert promoted.exit_code == 0, promoted.output
    data = json.loads(promoted.stdout)
    assert data["moved"] is True
    assert all(g["passed"] for g in data["gates"])
    history = json.loads(cli("models", "alias", "history", "churn", "--json").stdout)
    assert history[-1]["action"] == "promote"
    assert history[-1]["evaluation"]["passed"] is True


def test_model_cards_in_three_formats(cli: Cli, churn: Path, tmp_path: Path) -> None:
    described = cli(
        "models", "describe", "churn", "--overview", "Predicts churn.",
        "--intended-use", "Retention outreach.", "--limitations", "- 2025 data only\n- no B2B",
        "--ethical-considerations", "Never used to deny service.", "--license", "Apache-2.0",
    )  # fmt: skip
    assert described.exit_code == 0, described.output
    cli("models", "alias", "set", "churn", "production", "2")
    markdown = cli("models", "card", "churn@production")
    assert markdown.exit_code == 0, markdown.output
    text = markdown.stdout
    for heading in ("# Model card: churn version 2", "## Intended use", "## Training data",
                    "## Evaluation", "## Limitations", "## Ethical considerations",
                    "## Lineage", "## Deployment history"):  # fmt: skip
        assert heading in text
    assert "- no B2B" in text
    assert "Incomplete" not in text
    out = tmp_path / "card.html"
    assert cli("models", "card", "churn/2", "-f", "html", "-o", str(out)).exit_code == 0
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert "<link" not in html  # self-contained
    assert "Retention outreach." in html
    card = json.loads(cli("models", "card", "churn/2", "--format", "json").stdout)
    assert set(card) == {
        "schema_version", "model_details", "model_parameters", "quantitative_analysis",
        "considerations",
    }  # fmt: skip
    details = card["model_details"]
    assert details["name"] == "churn"
    assert details["version"]["name"] == "2"
    assert details["licenses"] == [{"identifier": "Apache-2.0"}]
    assert details["deployment_history"][0]["to_version"] == 2
    assert [x["description"] for x in card["considerations"]["limitations"]] == [
        "2025 data only",
        "no B2B",
    ]
    assert card["considerations"]["use_cases"] == [{"description": "Retention outreach."}]
    assert card["considerations"]["ethical_considerations"][0]["name"].startswith("Never")
    assert card["model_parameters"]["input_format"].startswith("columns: age (float64)")
    incomplete = cli("models", "card", "churn/1")
    assert incomplete.exit_code == 0


def test_register_download_and_ci_init(cli: Cli, churn: Path, tmp_path: Path) -> None:
    X = np.random.default_rng(1).normal(size=(30, 3))
    save_model(LogisticRegression().fit(X, X[:, 0] > 0), churn / "saved", input_example=X[:3])
    registered = cli("models", "register", "saved", "--name", "fraud", "--json")
    assert registered.exit_code == 0, registered.output
    assert json.loads(registered.stdout)["uri"] == "models:/fraud/1"
    dest = tmp_path / "copy"
    downloaded = cli("models", "download", "fraud@latest", "--dest", str(dest))
    assert downloaded.exit_code == 0, downloaded.output
    assert (dest / "shipyard-model.json").is_file()
    assert cli("models", "download", "fraud/1", "--dest", str(dest)).exit_code == 2
    written = cli("ci", "init", "--github", "--model", "churn", "--train", "python train.py")
    assert written.exit_code == 0, written.output
    workflow = yaml.safe_load((churn / ".github" / "workflows" / "shipyard.yml").read_text())
    assert set(workflow["jobs"]) == {"test", "gates"}
    runs = [step.get("run", "") for step in workflow["jobs"]["gates"]["steps"]]
    assert any("shipyard models promote churn latest --to staging --dry-run" in r for r in runs)
    assert any("shipyard models promote churn latest --to staging" in r and "--dry-run" not in r
               for r in runs)  # fmt: skip
    assert workflow["jobs"]["gates"]["needs"] == "test"
    again = cli("ci", "init", "--github")
    assert again.exit_code == 2
    assert "exists already" in again.stderr
    assert cli("ci", "init").exit_code == 2
