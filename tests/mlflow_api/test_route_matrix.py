"""MLflow's routes × every persona → the expected 2xx, 401, 403 or 404: the same table
and rules as tests/server/test_route_matrix.py, for routes outside the published schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.server.app import create_app
from shipyard.server.errors import iter_route_contexts
from shipyard.store.db import Database
from tests.server.route_matrix import (
    AUTHENTICATED,
    MLFLOW_BY_RUN,
    MLFLOW_ROUTES,
    POWERLESS,
    PROJECT_VIEWERS,
    UNAUTHENTICATED,
    Kit,
)
from tests.serverkit import PROJECT, Team, make_team, server_context

PREFIXES = ("/api/2.0/", "/api/3.0/")


def _mlflow_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if route.path.startswith(PREFIXES)
        for method in route.methods
    }


@pytest.fixture(scope="module")
def matrix(
    module_database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Team, Kit]]:
    ctx = server_context(module_database, objects=tmp_path_factory.mktemp("objects"),
                         **{"project.name": PROJECT})  # fmt: skip
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        yield client, make_team(module_database), Kit(AuthService(module_database), ctx)
    ctx.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_every_mlflow_route_is_in_the_matrix(server_app: FastAPI) -> None:
    routes = _mlflow_routes(server_app)
    assert routes, "no MLflow route is mounted"
    assert not routes - set(MLFLOW_ROUTES), sorted(routes - set(MLFLOW_ROUTES))
    assert not set(MLFLOW_ROUTES) - routes, sorted(set(MLFLOW_ROUTES) - routes)
    published = server_app.openapi()["paths"]
    assert not [p for p in published if p.startswith(PREFIXES)]


@pytest.mark.parametrize(("method", "template"), sorted(MLFLOW_ROUTES))
def test_mlflow_route_answers_each_persona_as_expected(
    matrix: tuple[TestClient, Team, Kit], method: str, template: str
) -> None:
    client, team, kit = matrix
    case = MLFLOW_ROUTES[(method, template)]
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
        elif persona == POWERLESS:
            expected = "404" if (method, template) in MLFLOW_BY_RUN else "403"
        elif persona not in PROJECT_VIEWERS:
            expected = case.unseen
        else:
            expected = "403"
        got = "2xx" if 200 <= answer.status_code < 300 else str(answer.status_code)
        if got != expected:
            problems.append(f"{persona}: expected {expected}, got {answer.status_code} "
                            f"{answer.text[:160]}")  # fmt: skip
        elif got != "2xx":
            assert "error_code" in answer.json(), answer.text
    assert not problems, "\n".join(problems)
