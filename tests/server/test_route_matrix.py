"""Every route × every persona → the expected 2xx, 401, 403 (or 404 for a run of a
project the persona may not read)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.server.route_matrix import (
    AUTHENTICATED,
    PROJECT_VIEWERS,
    PUBLIC,
    ROUTES,
    UNAUTHENTICATED,
    Kit,
    concrete,
)
from tests.serverkit import Team, make_team, server_context


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


@dataclass
class Matrix:
    client: TestClient
    team: Team
    kit: Kit


@pytest.fixture(scope="module")
def matrix(module_database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """One server and one team per database for all routes (each request makes its own data)."""
    ctx = server_context(module_database, objects=tmp_path_factory.mktemp("objects"))
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        yield Matrix(client, make_team(module_database), Kit(AuthService(module_database), ctx))
    ctx.close()


@pytest.mark.parametrize(("method", "template"), sorted(ROUTES))
def test_route_answers_each_persona_as_expected(matrix: Matrix, method: str, template: str) -> None:
    case = ROUTES[(method, template)]
    client, team, kit = matrix.client, matrix.team, matrix.kit
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
        elif persona not in PROJECT_VIEWERS:
            expected = case.unseen
        else:
            expected = "403"
        got = "2xx" if 200 <= answer.status_code < 300 else str(answer.status_code)
        if got != expected:
            problems.append(f"{persona}: expected {expected}, got {answer.status_code} "
                            f"{answer.text[:120]}")  # fmt: skip
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_schema_says_which_routes_need_a_token(client: TestClient, server_app: FastAPI) -> None:
    schema = server_app.openapi()
    scheme = schema["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert schema["security"] == [{"bearer": []}]
    operations = [(m.upper(), p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]
    assert {(m, p) for m, p, op in operations if op["security"] == []} == PUBLIC
    for method, template, operation in operations:
        if (method, template) in PUBLIC:
            continue
        assert operation["security"] == [{"bearer": []}], (method, template)
        answer = client.request(method, concrete(template), json={})
        assert answer.status_code == 401, f"{method} {template} answered {answer.status_code}"
