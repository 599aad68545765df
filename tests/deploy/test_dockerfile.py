"""deploy/Dockerfile: checkov finds nothing, and its HEALTHCHECK asks the liveness route of a
real server (passes while it answers, fails once it is gone)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from shipyard.server.admission import LIVENESS_PATH
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.serverkit import running, server_context
from tests.tools.checkers import run

DOCKERFILE = Path(__file__).resolve().parents[2] / "deploy" / "Dockerfile"


def _healthcheck() -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    (line,) = [s for s in text.splitlines() if s.startswith("HEALTHCHECK")]
    command: list[str] = json.loads(line.split(" CMD ", 1)[1])
    return command


def test_checkov_fails_no_check_on_the_dockerfile() -> None:
    done = run("checkov", "--framework", "dockerfile", "-f", str(DOCKERFILE), "-o", "json",
               "--skip-download")  # fmt: skip
    assert done.stdout, done.stderr
    report = json.loads(done.stdout)
    failed = [f"{c['check_id']} {c['check_name']}" for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 0


def test_the_healthcheck_asks_liveness_and_fails_when_the_server_is_gone(
    database: Database, tmp_path: Path
) -> None:
    command = _healthcheck()
    assert command[0] == "python"
    assert f":8750{LIVENESS_PATH}'" in command[-1]
    ctx = server_context(database, objects=tmp_path / "objects")
    with running(create_app(ctx)) as port:
        here = [sys.executable, *command[1:-1], re.sub(r":8750/", f":{port}/", command[-1])]
        assert subprocess.run(here, capture_output=True, timeout=60).returncode == 0
    ctx.close()
    gone = subprocess.run(here, capture_output=True, timeout=60)
    assert gone.returncode != 0
