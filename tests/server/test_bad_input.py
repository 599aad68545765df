"""Hostile and malformed requests: a 4xx with a clear message, and nothing written."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shipyard.core.digest import digest_of
from shipyard.core.principal import LOCAL_OWNER
from shipyard.store.db import Database
from shipyard.tracking.entities import RunSpec
from shipyard.tracking.service import TrackingService
from tests.serverkit import PROJECT, Team

RUNS = f"/api/v1/projects/{PROJECT}/runs"
OBJECTS = f"/api/v1/projects/{PROJECT}/objects"


def _runs(client: TestClient, team: Team) -> list[dict[str, object]]:
    answer = client.get(RUNS, headers=team.headers("viewer"))
    assert answer.status_code == 200
    runs: list[dict[str, object]] = answer.json()["runs"]
    return runs


def _error(answer: object) -> str:
    body = answer.json()["error"]  # type: ignore[attr-defined]
    return f"{body['type']}: {body['message']}"


def test_malformed_json_wrong_types_and_unknown_fields(client: TestClient, team: Team) -> None:
    headers = {**team.headers("contributor"), "content-type": "application/json"}
    cases = [
        (b"{not json", 400, "not valid JSON"),
        (b'{"name": 5}', 422, "name:"),
        (b'{"name": "r", "tags": {"k": 1}}', 422, "tags.k"),
        (b'{"name": "r", "pid": -3}', 422, "pid"),
        (b'{"name": "r", "surprise": true}', 422, "surprise"),
        (b'{"name": "r\\u0000x"}', 422, "name:"),
        (b'{"name": "r", "experiment": "bad/name"}', 422, "experiment:"),
        (b"[]", 422, "body"),
    ]
    for body, status, message in cases:
        answer = client.post(RUNS, content=body, headers=headers)
        assert answer.status_code == status, (body, answer.text)
        assert message in _error(answer), (body, answer.text)
    assert _runs(client, team) == []


def test_a_batch_with_one_bad_row_writes_nothing(
    client: TestClient, team: Team, database: Database
) -> None:
    run_id = TrackingService(database).create_run(LOCAL_OWNER, PROJECT, RunSpec("e", "r")).id
    headers = team.headers("contributor")
    good = [run_id, "loss", 0.5, 0, 1]
    bad_rows = [
        ({"metrics": [good, [run_id, "bad\nkey", 1.0, 1, 2]]}, 422, "metrics.1.1"),
        ({"metrics": [good, [run_id, "loss", "high", 1, 2]]}, 422, "metrics.1.2"),
        ({"metrics": [good, [run_id, "loss", 1.0, 1.5, 2]]}, 422, "metrics.1.3"),
        ({"metrics": [good, [run_id, "loss", 1.0, 2**70, 2]]}, 422, "metrics.1.3"),
        ({"metrics": [good], "params": [[run_id, "p", "x" * 8001]]}, 422, "params.0.2"),
        ({"metrics": [good], "tags": [[run_id, "t", "nul\x00inside"]]}, 422, "tags.0.2"),
        ({"metrics": [good, ["0" * 26, "loss", 1.0, 1, 2]]}, 404, "no run with id"),
        ({"metrics": [good, [run_id, "loss", 1.0]]}, 422, "metrics.1"),
    ]
    for body, status, message in bad_rows:
        answer = client.post("/api/v1/runs/log", json=body, headers=headers)
        assert answer.status_code == status, (body, answer.text)
        assert message in _error(answer), (body, answer.text)
    history = client.get(f"/api/v1/runs/{run_id}/metric-history", params={"key": "loss"},
                         headers=headers)  # fmt: skip
    assert history.json() == []
    ended = client.post(f"/api/v1/runs/{run_id}/end", json={"status": "exploded"},
                        headers=headers)  # fmt: skip
    assert ended.status_code == 422
    assert client.get(f"/api/v1/runs/{run_id}", headers=headers).json()["status"] == "running"


def test_paths_that_try_to_leave_their_place(
    client: TestClient, team: Team, database: Database
) -> None:
    headers = team.headers("contributor")
    run_id = TrackingService(database).create_run(LOCAL_OWNER, PROJECT, RunSpec("e", "r")).id
    data = b"artifact bytes"
    assert client.put(f"{OBJECTS}/{digest_of(data).hex}", content=data,
                      headers=headers).status_code == 201  # fmt: skip
    for path in ("../../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "a\\..\\b", "./x", ""):
        body = {"artifacts": [{"path": path, "digest": digest_of(data).hex, "size": len(data)}]}
        answer = client.post(f"/api/v1/runs/{run_id}/artifacts", json=body, headers=headers)
        assert answer.status_code in (400, 422), (path, answer.text)
    lying = {"artifacts": [{"path": "ok.bin", "digest": digest_of(data).hex, "size": 1}]}
    answer = client.post(f"/api/v1/runs/{run_id}/artifacts", json=lying, headers=headers)
    assert answer.status_code == 400
    assert "says 1 bytes" in answer.json()["error"]["message"]
    assert client.get(f"/api/v1/runs/{run_id}", headers=headers).json()["artifacts"] == []
    for digest in ("..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "abc", "g" * 64):
        answer = client.get(f"{OBJECTS}/{digest}", headers=headers)
        assert answer.status_code in (400, 404, 422), (digest, answer.text)
    for project in ("..", "a b", "x" * 101):
        answer = client.get(f"/api/v1/projects/{project}/runs", headers=team.headers("root"))
        assert answer.status_code in (404, 422), (project, answer.text)


def test_sql_in_filters_is_a_syntax_error_or_a_value(client: TestClient, team: Team) -> None:
    headers = team.headers("viewer")
    hostile = [
        "params.model = 'x' OR 1=1",
        "1=1; DROP TABLE runs",
        "metrics.acc > 0; DELETE FROM runs --",
        "params.`model'); DROP TABLE runs; --` = 'x'",
        "status = 'finished' UNION SELECT * FROM users",
    ]
    for text in hostile:
        answer = client.get(RUNS, params={"filter": text}, headers=headers)
        assert answer.status_code in (200, 400), (text, answer.text)
        if answer.status_code == 400:
            body = answer.json()["error"]
            assert body["type"] == "QuerySyntaxError"
            assert body["fields"]["query"] == text
        else:
            assert answer.json()["runs"] == []
    valued = client.get(RUNS, params={"filter": "params.model = 'x'' OR ''1''=''1'"},
                        headers=headers)  # fmt: skip
    assert valued.status_code == 200
    assert client.get("/api/v1/users", headers=team.headers("root")).status_code == 200


def test_unknown_ids_are_404_naming_them(client: TestClient, team: Team) -> None:
    headers = team.headers("contributor")
    unknown = "0" * 26
    for method, path, body in [
        ("GET", f"/api/v1/runs/{unknown}", None),
        ("GET", "/api/v1/runs/zzzzzz", None),
        ("POST", f"/api/v1/runs/{unknown}/end", {"status": "finished"}),
        ("POST", f"/api/v1/runs/{unknown}/resume", {"writer": {"host": "h", "pid": 1}}),
        ("GET", f"/api/v1/runs/{unknown}/metric-history?key=loss", None),
        ("POST", "/api/v1/runs/delete", {"ids": [unknown]}),
        ("GET", f"{OBJECTS}/{'e' * 64}", None),
        ("DELETE", "/api/v1/tokens/nope", None),
    ]:
        answer = client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["type"] == "NotFound"


def test_oversize_bodies_are_refused_before_they_are_read(database: Database, tmp_path: object,
                                                          team: Team) -> None:  # fmt: skip
    from pathlib import Path

    from shipyard.server.app import create_app
    from tests.serverkit import server_context

    ctx = server_context(database, objects=Path(str(tmp_path)) / "o", **{"server.max_body_mb": 1})
    big = b"x" * (1024 * 1024 + 1)
    with TestClient(create_app(ctx)) as client:
        headers = team.headers("contributor")
        for path, method in [("/api/v1/runs/log", "POST"), (f"{OBJECTS}/{digest_of(big).hex}",
                                                            "PUT")]:  # fmt: skip
            answer = client.request(method, path, content=big, headers=headers)
            assert answer.status_code == 413
            assert "larger than the limit" in answer.json()["error"]["message"]
        asked = client.post(f"{OBJECTS}/missing", json={"digests": [digest_of(big).hex]},
                            headers=headers)  # fmt: skip
        assert asked.json()["missing"] == [digest_of(big).hex]
    ctx.close()
