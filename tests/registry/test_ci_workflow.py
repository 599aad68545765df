"""The workflow ``ci init --github`` writes: zizmor finds nothing, GitHub's schema accepts
it, and whatever the user typed reaches the shell as typed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.core.errors import InvalidInput
from shipyard.registry.ci import ACTIONS, WORKFLOW_PATH, github_workflow, write_github_workflow
from tests.tools.checkers import run

_PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
# Names, aliases, Python versions and commands a user may pass (each still one workflow).
CASES = [
    ("churn", "staging", "python train.py", "3.11"),
    ("fraud.v2", "prod-eu", "python -m train --cfg a: b  # 'quoted' \"twice\" $HOME `x`", "3.12"),
    ("M_1", "canary", "make train && echo done; exit 0", "3.9"),
]


def _write(tmp_path: Path, case: tuple[str, str, str, str]) -> Path:
    model, alias, train, python = case
    return write_github_workflow(tmp_path, model, alias=alias, train=train, python=python)


@pytest.mark.parametrize("case", CASES, ids=["plain", "awkward-command", "shell-operators"])
def test_zizmor_finds_nothing(tmp_path: Path, case: tuple[str, str, str, str]) -> None:
    path = _write(tmp_path, case)
    for persona in ("regular", "pedantic"):
        done = run("zizmor", "--offline", "--format=json", f"--persona={persona}", str(path))
        assert json.loads(done.stdout or "null") == [], (persona, done.stdout, done.stderr)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("case", CASES, ids=["plain", "awkward-command", "shell-operators"])
def test_github_workflow_schema_accepts_it(tmp_path: Path, case: tuple[str, str, str, str]) -> None:
    path = _write(tmp_path, case)
    done = run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


def _load(text: str) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(text)
    return workflow


def test_actions_are_pinned_to_release_commits_and_permissions_are_least() -> None:
    workflow = _load(github_workflow("churn", alias="staging", train="python t.py", python="3.11"))
    assert workflow["permissions"] == {}  # nothing unless a job asks
    uses = []
    for job in workflow["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
        for step in job["steps"]:
            if "uses" in step:
                uses.append(step["uses"])
                if step["uses"].startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
    text = github_workflow("churn", alias="staging", train="python t.py", python="3.11")
    pinned = [line.split("uses: ", 1)[1] for line in text.splitlines() if "uses: " in line]
    assert sorted(set(pinned)) == sorted(ACTIONS.values())
    assert all(_PINNED.match(ref) for ref in pinned), pinned
    assert len(uses) == 5


@pytest.mark.parametrize("case", CASES, ids=["plain", "awkward-command", "shell-operators"])
def test_the_training_command_reaches_the_shell_as_typed(
    tmp_path: Path, case: tuple[str, str, str, str]
) -> None:
    model, alias, train, _ = case
    workflow = _load(_write(tmp_path, case).read_text())
    gates = workflow["jobs"]["gates"]
    assert gates["env"] == {"TRAIN": train}
    runs = [step["run"] for step in gates["steps"] if "run" in step]
    assert 'shipyard run -e ci -n "ci-$GITHUB_SHA" -- sh -c "$TRAIN"' in runs
    assert f"shipyard models promote {model} latest --to {alias} --dry-run" in runs
    assert all(train not in r for r in runs)  # text typed by a user is data, never a line


def test_a_command_with_an_expression_or_two_lines_is_refused(tmp_path: Path) -> None:
    for train in ("python t.py --run ${{ github.event.issue.title }}", "a\nb", " "):
        with pytest.raises(InvalidInput):
            write_github_workflow(tmp_path, "churn", alias="staging", train=train, python="3.11")
    assert not (tmp_path / WORKFLOW_PATH).exists()
