"""``GET …/monitors/NAME/history``: a monitor's results with their gauges, oldest first,
for viewers of the project only (what the UI plots drift over time from)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shipyard.auth.service import AuthService
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.monitoring.live.result import MonitorResult
from shipyard.monitoring.live.results_store import save_result
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.serverkit import server_context

HISTORY = "/api/v1/projects/churn/monitors/daily/history"


@pytest.fixture
def client(database: Database, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    ctx = server_context(database, objects=tmp_path / "objects", **{"project.name": "churn"})
    end = datetime(2026, 12, 1, tzinfo=UTC)
    for day, rows in enumerate((10, 20, 30)):
        when = end + timedelta(days=day)
        result = MonitorResult("daily", "churn", when - timedelta(days=1), when, 86400.0, rows)
        save_result(ctx, result, interval_s=None, notified=False)
    auth = AuthService(ctx.db)
    auth.add_user(LOCAL_OWNER, "vic", role=Role.VIEWER, project="churn")
    auth.add_user(LOCAL_OWNER, "out", role=Role.VIEWER, project="other")
    tokens = {u: auth.create_token(LOCAL_OWNER, name="t", user=u).secret for u in ("vic", "out")}
    with TestClient(create_app(ctx)) as test_client:
        yield test_client, {u: f"Bearer {t}" for u, t in tokens.items()}
    ctx.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_history_is_oldest_first_with_gauges_and_bounded(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    http, tokens = client
    answer = http.get(HISTORY, headers={"Authorization": tokens["vic"]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["rows"] for r in results] == [10, 20, 30]
    assert all("features" in r["gauges"] for r in results)
    newest = http.get(HISTORY, params={"limit": 2}, headers={"Authorization": tokens["vic"]})
    assert [r["rows"] for r in newest.json()["results"]] == [20, 30]
    for bad in ("0", "501", "x"):
        refused = http.get(HISTORY, params={"limit": bad}, headers={"Authorization": tokens["vic"]})
        assert refused.status_code == 422


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_history_is_for_viewers_of_the_project(client: tuple[TestClient, dict[str, str]]) -> None:
    http, tokens = client
    assert http.get(HISTORY, headers={"Authorization": tokens["out"]}).status_code == 403
    assert http.get(HISTORY).status_code == 401
    viewer = {"Authorization": tokens["vic"]}
    unknown = http.get(HISTORY.replace("daily", "nothing"), headers=viewer)
    assert unknown.json() == {"results": []}
