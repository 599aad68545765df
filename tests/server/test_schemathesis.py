"""Schemathesis against ``/openapi.json``: generated requests to every route, as an admin.

No answer may be a 5xx, and every answer must match the schema the server
publishes (its status documented, its body of the documented shape). Runs
over real HTTP on 127.0.0.1, on SQLite and on PostgreSQL (which refuses NUL
characters and out-of-range numbers that SQLite keeps), with a bounded number
of examples per route.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shipyard.context import Context
from shipyard.core.settings import build_settings
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.serverkit import Team, make_team, running, server_context

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))
"""Per route and database; raise it locally to hunt (CI keeps the suite short)."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def admin_team(module_database: Database) -> Team:
    return make_team(module_database)


@pytest.fixture(scope="module")
def api_url(module_database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    objects: Path = tmp_path_factory.mktemp("objects")
    ctx = server_context(module_database, objects=objects, **{"server.max_body_mb": 8})
    with running(create_app(ctx)) as port:
        yield f"http://127.0.0.1:{port}"
    ctx.close()


def _published_schema() -> dict[str, object]:
    """The document ``/openapi.json`` serves (it does not depend on the stores)."""
    ctx = Context(build_settings(env={}, flags={"store.uri": "sqlite://"}))
    return create_app(ctx).openapi()


schema = schemathesis.openapi.from_dict(_published_schema())


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not os.environ.get("SCHEMATHESIS_EXAMPLES"),
)
def test_every_route_answers_within_its_schema(case, api_url: str, admin_team: Team) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(base_url=api_url, headers=admin_team.headers("root"), checks=CHECKS)
