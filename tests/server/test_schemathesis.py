"""Schemathesis's own ``st run``, every check, against a live server, as three personas.

Every operation of ``/openapi.json`` is called anonymously, as a viewer and as
an admin, through all four phases (examples, coverage, fuzzing, stateful
sequences along the document's links), and must pass ``--checks all``: no 5xx,
answers of the documented status, type and shape, schema-valid requests
accepted and invalid ones refused, ``Allow`` on 405, authentication never
ignored, created things reachable and deleted things gone.
``schemathesis.toml`` beside this file names the few rules JSON Schema cannot
state (a query grammar, content hashes, paths inside a folder) and why.

Operations that can revoke the caller's own credentials (revoking a token,
disabling a user) run apart, with a throwaway admin, so they cannot end the
main runs half-way. All three personas run on PostgreSQL, which refuses what
SQLite lets through (NUL characters, out-of-range numbers); the admin runs on
SQLite too, the embedded default a small team's server may keep.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shipyard.auth.service import AuthService
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.server.app import create_app
from tests.serverkit import Team, fresh_database, make_team, running, server_context

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "4")
"""Per operation and phase; raise it locally to hunt (the suite keeps it short)."""
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261207")
SELF_REVOKING = "^(revoke_token|disable_user)_"
"""Operation ids (FastAPI's: function name, path, method) that may end the caller's access."""
REVOKING_AND_THEIR_SOURCES = "^(revoke_token|disable_user|create_token|add_user|enable_user)_"
"""The same with the operations whose links lead to them (a new token, a new user)."""
PHASES = {"anonymous": "examples,fuzzing,stateful"}
"""Anonymous calls all end in 401: the coverage phase's boundary values (the longest
part of a run) are spent where they reach the routes, as viewer and as admin."""


@dataclass
class Api:
    url: str
    team: Team
    auth: AuthService
    folder: Path
    """Where ``st`` may leave its cache."""


def _serve(kind: str, folder: Path) -> Iterator[Api]:
    with fresh_database(kind, folder) as db:
        team = make_team(db)
        ctx = server_context(db, objects=folder / "objects", **{"server.max_body_mb": 8})
        with running(create_app(ctx)) as port:
            yield Api(f"http://127.0.0.1:{port}", team, AuthService(db), folder)
        ctx.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from _serve("postgresql", tmp_path_factory.mktemp("schemathesis"))


@pytest.fixture(scope="module")
def sqlite_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from _serve("sqlite", tmp_path_factory.mktemp("schemathesis-sqlite"))


def st_run(api: Api, token: str | None, *options: str) -> subprocess.CompletedProcess[str]:
    """``st run --checks all`` against the server; the report is in the answer's stdout."""
    command = [
        str(Path(sys.executable).parent / "st"), "--config-file", str(CONFIG), "--no-color",
        "run", f"{api.url}/openapi.json", "--checks", "all", "--max-examples", EXAMPLES,
        "--seed", SEED, "--workers", "1", "--generation-database", "none",
        "--suppress-health-check", "all", *options,
    ]  # fmt: skip
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False,
                          cwd=api.folder)  # fmt: skip


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout + result.stderr)[-30_000:]


@pytest.mark.parametrize("persona", ["anonymous", "viewer", "root"])
def test_every_operation_passes_every_check(api: Api, persona: str) -> None:
    token = api.team.tokens.get(persona)
    phases = PHASES.get(persona, "examples,coverage,fuzzing,stateful")
    result = st_run(api, token, "--exclude-operation-id-regex", SELF_REVOKING, "--phases", phases)
    assert result.returncode == 0, _report(result)


def test_every_operation_passes_every_check_as_admin_on_sqlite(sqlite_api: Api) -> None:
    token = sqlite_api.team.tokens["root"]
    result = st_run(sqlite_api, token, "--exclude-operation-id-regex", SELF_REVOKING)
    assert result.returncode == 0, _report(result)


def test_operations_that_revoke_the_callers_own_access(api: Api) -> None:
    api.auth.add_user(LOCAL_OWNER, "expendable", role=Role.ADMIN)
    token = api.auth.create_token(LOCAL_OWNER, name="t", user="expendable").secret
    result = st_run(api, token, "--include-operation-id-regex", REVOKING_AND_THEIR_SOURCES)
    assert result.returncode == 0, _report(result)
