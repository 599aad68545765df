"""A GitHub Actions workflow for a model repository: tests, gates, promotion to staging.

On every pull request it runs the tests, trains and registers a candidate,
and evaluates the staging gates as a dry run (the job fails if a gate does).
On a push to main it does the same and promotes the candidate to staging
through the gates. The registry it talks to comes from repository secrets
(``SHIPYARD_URI`` for a shared PostgreSQL, ``SHIPYARD_OBJECTS_PATH`` for an
S3 object store); without them every job uses a throw-away embedded workspace,
which still proves that training, registration and the gates work.

The workflow passes zizmor's audit and GitHub's workflow schema (both run by
the test suite): actions pinned to release commits, no token left in the
checkout, no permission beyond reading the repository, and the training command
(free text) reaches the shell through an environment variable, never as workflow
text; model names and aliases are checked names, safe on a shell line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from shipyard.core.errors import AlreadyExists, InvalidInput
from shipyard.core.model_ref import check_alias, check_model_name
from shipyard.workspace.atomic import write_atomic

__all__ = [
    "ACTIONS",
    "TRAIN_SCRIPTS",
    "WORKFLOW_PATH",
    "check_target",
    "github_workflow",
    "guess_train_command",
    "write_github_workflow",
]

WORKFLOW_PATH = Path(".github") / "workflows" / "shipyard.yml"
_PYTHON = re.compile(r"^3\.\d{1,2}$")

# A tag can be moved by whoever controls the action's repository; a commit cannot.
# Each is the commit its release tag named (the comment, which Dependabot keeps up).
ACTIONS = {
    "checkout": "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
    "setup-python": "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97 # v7.0.0",
    "upload-artifact": "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",
}

TRAIN_SCRIPTS = ("train.py", "src/train.py", "scripts/train.py")
"""Where ``guess_train_command`` looks for a training script, in this order."""


def guess_train_command(root: Path) -> str | None:
    """``python <script>`` for the first of ``TRAIN_SCRIPTS`` under ``root``, else None."""
    for script in TRAIN_SCRIPTS:
        if (root / script).is_file():
            return f"python {script}"
    return None


def _check_train(train: str) -> str:
    if not train.strip() or "\n" in train or "\r" in train:
        raise InvalidInput("the training command must be one non-empty line")
    if "${{" in train:  # GitHub would evaluate it as an expression before the shell runs
        raise InvalidInput(
            "the training command may not contain '${{'",
            hint="read values from environment variables ($NAME) instead",
        )
    return train


def github_workflow(model: str, *, alias: str, train: str, python: str) -> str:
    """The workflow's YAML text; raises InvalidInput for a bad name, alias, command or
    Python version."""
    check_model_name(model)
    check_alias(alias)
    if not _PYTHON.match(python):
        raise InvalidInput(f"invalid Python version {python!r}", hint="e.g. 3.11")
    # A JSON string is a YAML double-quoted scalar: any command survives as one value,
    # and the shell reads it from the environment, never from the workflow's text.
    train_value = json.dumps(_check_train(train))
    checkout, setup_python, upload = (ACTIONS[k] for k in ACTIONS)
    return f"""# Written by `shipyard ci init --github`: edit freely.
# Pull requests: tests, then a candidate is trained, registered and checked against the
# @{alias} gates ([gates.{alias}] in .shipyard/config.toml) without moving anything.
# Pushes to main: the same, then the candidate is promoted to @{alias} if every gate passes.
name: shipyard

on:
  push:
    branches: [main]
  pull_request:

permissions: {{}}

concurrency:
  group: shipyard-${{{{ github.ref }}}}
  cancel-in-progress: false

env:
  PIP_DISABLE_PIP_VERSION_CHECK: "1"

jobs:
  test:
    name: tests
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: {checkout}
        with:
          persist-credentials: false
      - uses: {setup_python}
        with:
          python-version: "{python}"
          cache: pip
      - name: Install
        run: |
          if [ -f requirements.txt ]; then pip install -r requirements.txt; fi
          pip install 'shipyard[models,s3]' pytest
      - name: Tests
        run: |
          if ls tests/ test_*.py >/dev/null 2>&1; then pytest -q; else echo "no tests found"; fi

  gates:
    name: train, gate and promote
    needs: test
    runs-on: ubuntu-latest
    permissions:
      contents: read
    env:
      TRAIN: {train_value}
    steps:
      - uses: {checkout}
        with:
          persist-credentials: false
      - uses: {setup_python}
        with:
          python-version: "{python}"
          cache: pip
      - name: Install
        run: |
          if [ -f requirements.txt ]; then pip install -r requirements.txt; fi
          pip install 'shipyard[models,s3]'
      - name: Registry (shared when the secrets are set, else a throw-away embedded one)
        env:
          URI: ${{{{ secrets.SHIPYARD_URI }}}}
          OBJECTS: ${{{{ secrets.SHIPYARD_OBJECTS_PATH }}}}
          KEY_ID: ${{{{ secrets.AWS_ACCESS_KEY_ID }}}}
          SECRET: ${{{{ secrets.AWS_SECRET_ACCESS_KEY }}}}
          REGION: ${{{{ vars.AWS_DEFAULT_REGION }}}}
        run: |
          if [ -n "$URI" ]; then echo "SHIPYARD_URI=$URI" >> "$GITHUB_ENV"; fi
          if [ -n "$OBJECTS" ]; then echo "SHIPYARD_OBJECTS_PATH=$OBJECTS" >> "$GITHUB_ENV"; fi
          if [ -n "$KEY_ID" ]; then
            echo "AWS_ACCESS_KEY_ID=$KEY_ID" >> "$GITHUB_ENV"
            echo "AWS_SECRET_ACCESS_KEY=$SECRET" >> "$GITHUB_ENV"
            echo "AWS_DEFAULT_REGION=${{REGION:-us-east-1}}" >> "$GITHUB_ENV"
          fi
      - name: Signing key (from the SHIPYARD_SIGNING_KEY secret, if set)
        env:
          SIGNING_KEY: ${{{{ secrets.SHIPYARD_SIGNING_KEY }}}}
          SIGNING_PUBLIC_KEY: ${{{{ secrets.SHIPYARD_SIGNING_PUBLIC_KEY }}}}
        run: |
          if [ -n "$SIGNING_KEY" ]; then
            mkdir -p .shipyard/keys && umask 077
            printf '%s\\n' "$SIGNING_KEY" > .shipyard/keys/signing-key.pem
            printf '%s\\n' "$SIGNING_PUBLIC_KEY" > .shipyard/keys/signing-key.pub.pem
          fi
      - name: Train and register a candidate
        run: shipyard run -e ci -n "ci-$GITHUB_SHA" -- sh -c "$TRAIN"
      - name: Check the @{alias} gates (dry run)
        if: github.event_name == 'pull_request'
        run: shipyard models promote {model} latest --to {alias} --dry-run
      - name: Promote to @{alias} through the gates
        if: github.event_name == 'push' && github.ref == 'refs/heads/main'
        run: >-
          shipyard models promote {model} latest --to {alias}
          --reason "CI $GITHUB_REPOSITORY@$GITHUB_SHA"
      - name: Model card
        if: always()
        run: shipyard models card {model}@latest --format html -o model-card.html || true
      - uses: {upload}
        if: always()
        with:
          name: model-card
          path: model-card.html
          if-no-files-found: ignore
"""


def check_target(root: Path, *, force: bool = False) -> Path:
    """The workflow's path under ``root``; raises AlreadyExists if a file is there and
    not ``force``."""
    target = root / WORKFLOW_PATH
    if target.exists() and not force:
        raise AlreadyExists(
            f"{target} exists already; nothing was written", hint="pass --force to replace it"
        )
    return target


def write_github_workflow(
    root: Path, model: str, *, alias: str, train: str, python: str, force: bool = False
) -> Path:
    """Write ``.github/workflows/shipyard.yml`` under ``root``; refuses to overwrite unless
    ``force``. Returns the path."""
    text = github_workflow(model, alias=alias, train=train, python=python)
    target = check_target(root, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    return target
