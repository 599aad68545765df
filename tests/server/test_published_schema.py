"""What ``/openapi.json`` says a request may hold is what the server accepts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.serverkit import PROJECT, Team

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
RUNS = f"/api/v1/projects/{PROJECT}/runs"
ALIAS = "/api/v1/projects/{project}/models/{name}/aliases/{alias}"


def _parameter(client: TestClient, path: str, method: str, name: str) -> dict:
    operation = client.get("/openapi.json").json()["paths"][path][method]
    return next(p["schema"] for p in operation["parameters"] if p["name"] == name)


def test_an_integer_written_as_10_0_is_an_integer(client: TestClient, team: Team) -> None:
    headers = team.headers("viewer")
    assert client.post(f"{RUNS}/search", json={"limit": 10.0}, headers=headers).status_code == 200
    for bad in (10.5, "10", True):
        answer = client.post(f"{RUNS}/search", json={"limit": bad}, headers=headers)
        assert answer.status_code == 422, bad


def test_reserved_alias_names_are_published_and_refused(client: TestClient, team: Team) -> None:
    published = _parameter(client, ALIAS, "put", "alias")
    assert "latest" in published["not"]["enum"]
    assert re.search(published["pattern"], "Bad Alias") is None
    answer = client.put(f"/api/v1/projects/{PROJECT}/models/m/aliases/latest",
                        json={"version": 1}, headers=team.headers("root"))  # fmt: skip
    assert answer.status_code == 422
    assert "reserved" in answer.json()["error"]["message"]


def test_names_the_server_refuses_are_refused_by_the_schema(client: TestClient, team: Team) -> None:
    project = _parameter(client, "/api/v1/projects/{project}/datasets", "get", "project")
    assert re.search(project["pattern"], "no such/name") is None
    spec = client.get("/openapi.json").json()["components"]["schemas"]["RunSpecIn"]
    assert re.search(spec["properties"]["name"]["pattern"], "run\x00") is None
    assert re.search(spec["properties"]["experiment"]["pattern"], "bad/name") is None
    for body in ({"name": "run\x00"}, {"name": "r", "experiment": "bad/name"}):
        assert client.post(RUNS, json=body, headers=team.headers("root")).status_code == 422
    answer = client.get("/api/v1/projects/no such name/datasets", headers=team.headers("root"))
    assert answer.status_code == 422
