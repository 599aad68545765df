"""``GET …/monitors/NAME/history``: a monitor's results with their gauges, oldest first,
for viewers of the project only (what the UI plots drift over time from); ``…/alerts``:
what its breaches set off; ``…/report``: a result's HTML report, sandboxed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from shipyard.auth.service import AuthService
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.monitoring.live.result import Breach, MonitorResult
from shipyard.monitoring.live.results_store import save_result
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.serverkit import PROJECT, Team, make_team, server_context

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


# -- alerts and reports (both metadata stores) ------------------------------------------

BASE = f"/api/v1/projects/{PROJECT}/monitors"
HOSTILE = "<img src=x onerror=alert(1)>"


@dataclass
class Served:
    http: TestClient
    team: Team
    results: list[str]
    """The ids of the monitor ``daily``'s three results, oldest first."""

    def get(self, path: str, who: str = "viewer", **params: object) -> Response:
        return self.http.get(BASE + path, params=params, headers=self.team.headers(who))


@pytest.fixture
def served(database: Database, tmp_path: Path) -> Iterator[Served]:
    team = make_team(database)
    ctx = server_context(database, objects=tmp_path / "objects").for_project(PROJECT)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    ids = []
    for day, rows in enumerate((10, 20, 30)):
        when = end + timedelta(days=day)
        result = MonitorResult("daily", HOSTILE, when - timedelta(days=1), when, 86400.0, rows,
                               breaches=[Breach("drift", f"drifted: {HOSTILE}")])  # fmt: skip
        ids.append(save_result(ctx, result, interval_s=3600, notified=True).id)
    with TestClient(create_app(ctx), raise_server_exceptions=False) as http:
        yield Served(http, team, ids)
    ctx.close()


def test_the_report_is_a_sandboxed_page_of_the_newest_or_a_chosen_result(served: Served) -> None:
    newest = served.get("/daily/report")
    assert newest.status_code == 200, newest.text
    assert newest.headers["content-type"] == "text/html; charset=utf-8"
    policy = newest.headers["content-security-policy"]
    assert policy.split(";")[0] == "sandbox"  # no allow-scripts: an opaque origin, no script
    assert "script-src" not in policy
    assert "default-src 'none'" in policy
    assert newest.headers["x-content-type-options"] == "nosniff"
    assert newest.headers["content-disposition"].startswith("inline;")
    assert "<h1>Monitor daily</h1>" in newest.text
    assert "30 rows" in newest.text
    assert HOSTILE not in newest.text  # the model name and the breach, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in newest.text
    first = served.get("/daily/report", result=served.results[0])
    assert first.status_code == 200
    assert "10 rows" in first.text
    assert "2026-11-30 00:00 – 2026-12-01 00:00" in first.text
    saved = served.get("/daily/report", download="true")
    assert saved.headers["content-disposition"].startswith("attachment;")
    assert "monitor-daily-" in saved.headers["content-disposition"]


def test_a_report_is_for_viewers_and_names_what_is_missing(served: Served) -> None:
    assert served.get("/daily/report", "outsider").status_code == 403
    assert served.get("/daily/report", "nobody").status_code == 401
    unknown = served.get("/nothing/report")
    assert unknown.status_code == 404
    assert "no stored result of monitor 'nothing'" in unknown.json()["error"]["message"]
    missing = served.get("/daily/report", result="0" * 26)
    assert missing.status_code == 404
    assert f"no result {'0' * 26} of monitor 'daily'" in missing.json()["error"]["message"]
    other = served.get("/weekly/report", result=served.results[0])  # daily's, not weekly's
    assert other.status_code == 404
    for bad in ("../x", HOSTILE, "0" * 27):
        assert served.get("/daily/report", result=bad).status_code == 422
    assert served.get("/a%20b/report").status_code == 422


def _actions(served: Served, who: str = "contributor", **changes: Any) -> Response:
    body: dict[str, Any] = {
        "event": "breach",
        "breaches": ["drift"],
        "webhooks": [{"webhook": "hooks.example.org", "ok": True, "status": 200, "attempts": 1}],
        "problems": ["the webhook variable TEAM_HOOK is not set"],
        "trigger": {
            "command": ["shipyard", "run", "--", "python", "retrain.py"],
            "exit_code": 0,
            "seconds": 12.5,
            "output": "token=s3cret",
            "runs": [
                {"id": "01jq0000000000000000000001", "name": "retrain", "pipeline": None},
                {"id": "01jq0000000000000000000002", "name": "nightly", "pipeline": "nightly"},
            ],
        },
        "result": served.results[1],
    } | changes
    return served.http.post(BASE + "/daily/actions", json=body, headers=served.team.headers(who))


def test_alerts_name_their_result_channel_outcome_and_the_runs_started(served: Served) -> None:
    assert _actions(served).status_code == 204
    answer = served.get("/daily/alerts")
    assert answer.status_code == 200, answer.text
    trigger, problem, webhook = answer.json()["alerts"]  # newest first
    assert (trigger["kind"], trigger["ok"], trigger["exit_code"]) == ("trigger", True, 0)
    assert trigger["channel"] == "shipyard run -- python retrain.py"
    assert trigger["result"] == served.results[1]
    assert [(r["name"], r["pipeline"]) for r in trigger["runs"]] == [
        ("retrain", None), ("nightly", "nightly")
    ]  # fmt: skip
    assert (webhook["channel"], webhook["status"], webhook["event"]) == (
        "hooks.example.org", 200, "breach"
    )  # fmt: skip
    assert webhook["breaches"] == ["drift"]
    assert (problem["ok"], problem["channel"]) == (False, "not sent")
    assert "TEAM_HOOK" in problem["error"]
    assert "s3cret" not in answer.text  # the command's output stays in the audit log
    assert len(served.get("/daily/alerts", limit=1).json()["alerts"]) == 1


def test_alerts_refuse_hostile_or_unknown_input(served: Served) -> None:
    assert _actions(served, "viewer").status_code == 403
    assert _actions(served, result="0" * 26).status_code == 404
    assert _actions(served, result="../etc").status_code == 422
    bad_run = {"command": ["x"], "runs": [{"id": "../../admin", "name": "x"}]}
    assert _actions(served, trigger=bad_run).status_code == 422
    assert _actions(served, webhooks=[{"webhook": "h", "ok": "yes"}]).status_code == 422
    assert served.get("/daily/alerts").json() == {"alerts": []}  # nothing was recorded
    assert served.get("/daily/alerts", "outsider").status_code == 403
    unknown = served.get("/nothing/alerts")
    assert unknown.status_code == 404
    assert "monitor 'nothing'" in unknown.json()["error"]["message"]
    for bad in ("0", "201", "x"):
        assert served.get("/daily/alerts", limit=bad).status_code == 422
