"""Every route × every persona → the expected 2xx, 401 or 403."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.store.db import Database
from tests.server.route_matrix import AUTHENTICATED, PUBLIC, ROUTES, UNAUTHENTICATED, Kit
from tests.serverkit import Team


def _app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves, read from its OpenAPI document."""
    paths = app.openapi()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_every_route_is_in_the_matrix(server_app: FastAPI) -> None:
    routes = _app_routes(server_app)
    missing = routes - set(ROUTES) - PUBLIC
    stale = set(ROUTES) - routes
    assert not missing, f"add these routes to tests/server/route_matrix.py: {sorted(missing)}"
    assert not stale, f"these routes no longer exist: {sorted(stale)}"


@pytest.mark.parametrize(("method", "template"), sorted(ROUTES))
def test_route_answers_each_persona_as_expected(
    client: TestClient, team: Team, database: Database, method: str, template: str
) -> None:
    case = ROUTES[(method, template)]
    kit = Kit(AuthService(database), client.app.state.ctx)  # type: ignore[attr-defined]
    problems = []
    for persona in (*sorted(AUTHENTICATED), *UNAUTHENTICATED):
        path, body = case.prepare(kit, persona)
        headers = team.headers(persona)
        if isinstance(body, bytes):
            answer = client.request(method, path, content=body, headers=headers)
        else:
            answer = client.request(method, path, json=body, headers=headers)
        if persona in UNAUTHENTICATED:
            expected = "401"
        elif persona in case.allowed:
            expected = "2xx"
        else:
            expected = "403"
        got = "2xx" if 200 <= answer.status_code < 300 else str(answer.status_code)
        if got != expected:
            problems.append(f"{persona}: expected {expected}, got {answer.status_code} "
                            f"{answer.text[:120]}")  # fmt: skip
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_nothing_but_public_routes_answers_without_a_token(
    client: TestClient, server_app: FastAPI
) -> None:
    for method, template in sorted(_app_routes(server_app) - PUBLIC):
        path = template.replace("{", "").replace("}", "")
        answer = client.request(method, path, json={})
        assert answer.status_code == 401, f"{method} {template} answered {answer.status_code}"
