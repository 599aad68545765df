"""Every route that takes a run id answers a run of a project the caller may not read
exactly as it answers an unknown id: 404, the same message, the project never named."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.core.ids import new_id
from shipyard.store.db import Database
from tests.server.route_matrix import ROUTES, Kit
from tests.serverkit import PROJECT, Team

RUN_ROUTES = sorted(key for key, case in ROUTES.items() if case.unseen == "404")
_ID = re.compile(r"\b[0-9abcdefghjkmnpqrstvwxyz]{26}\b")


def _send(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.request(method, path, json=body, headers=headers)


def test_the_run_routes_are_all_here() -> None:
    # get, several, history (whole, page, summary), resume, end, inputs, artifacts, log, delete
    assert len(RUN_ROUTES) == 11


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("method", "template"), RUN_ROUTES)
def test_an_unseen_run_is_404_like_an_unknown_one(
    database: Database,
    server_app: FastAPI,
    client: TestClient,
    team: Team,
    method: str,
    template: str,
) -> None:
    kit = Kit(AuthService(database), server_app.state.ctx)
    path, body = ROUTES[(method, template)].prepare(kit, "outsider")
    assert not isinstance(body, bytes)
    headers = team.headers("outsider")  # a maintainer of another project
    seen = _send(client, method, path, body, headers)
    unknown = new_id()
    swap = lambda text: _ID.sub(unknown, text)  # noqa: E731
    missing = _send(client, method, swap(path), json.loads(swap(json.dumps(body))), headers)
    assert (seen.status_code, missing.status_code) == (404, 404), seen.text
    assert _ID.sub("ID", seen.text) == _ID.sub("ID", missing.text)
    assert PROJECT not in seen.text
    if "/runs/{run_id}" in template:  # a prefix of the id, too
        prefix = _ID.search(path)
        assert prefix is not None
        short = path.replace(prefix.group(), prefix.group()[:12])
        answer = _send(client, method, short, body, headers)
        assert answer.status_code == 404
        assert PROJECT not in answer.text
