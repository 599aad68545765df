"""The registry over HTTP: register, read, move aliases, roll back, cards, errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shipyard.store.db import Database
from tests.server.registry_seed import model_files
from tests.serverkit import PROJECT, Team

MODELS = f"/api/v1/projects/{PROJECT}/models"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_version_registered_over_http_moves_through_aliases(
    client: TestClient, team: Team
) -> None:
    contributor, maintainer = team.headers("contributor"), team.headers("maintainer")
    created = client.post(
        f"{MODELS}/churn/versions", json={"files": model_files()}, headers=contributor
    )
    assert created.status_code == 201, created.text
    assert created.json()["uri"] == "models:/churn/1"
    assert created.json()["created_by"] == "contributor"
    again = client.post(
        f"{MODELS}/churn/versions", json={"files": model_files()}, headers=contributor
    )
    assert again.json()["version"] == 2
    polled = client.get(f"{MODELS}/churn/aliases/latest", headers=team.headers("viewer"))
    assert polled.json() == {"name": "churn", "alias": "latest", "version": 2}
    unset = client.get(f"{MODELS}/churn/aliases/production", headers=maintainer)
    assert unset.status_code == 404
    for version in (1, 2):
        moved = client.put(
            f"{MODELS}/churn/aliases/production",
            json={"version": version, "reason": f"v{version}"},
            headers=maintainer,
        )
        assert moved.status_code == 200, moved.text
    back = client.post(
        f"{MODELS}/churn/aliases/production/rollback",
        json={"reason": "latency"},
        headers=maintainer,
    )
    assert back.json()["current"] == 1
    history = client.get(f"{MODELS}/churn/history", headers=team.headers("viewer")).json()
    assert [(e["action"], e["to_version"], e["principal"]) for e in history] == [
        ("set", 1, "maintainer"),
        ("set", 2, "maintainer"),
        ("rollback", 1, "maintainer"),
    ]
    version = client.get(f"{MODELS}/churn/versions/@production", headers=contributor).json()
    assert version["version"] == 1
    assert version["aliases"] == ["production"]
    card = client.get(
        f"{MODELS}/churn/versions/1/card", params={"format": "md"}, headers=contributor
    )
    assert card.status_code == 200
    assert card.headers["content-type"].startswith("text/markdown")
    assert "## Deployment history" in card.text
    page = client.get(
        f"{MODELS}/churn/versions/1/card", params={"format": "html"}, headers=contributor
    )
    assert page.headers["content-type"].startswith("text/html")
    # Built from user-supplied text: served in a sandbox that runs no script.
    policy = page.headers["content-security-policy"]
    assert policy.startswith("sandbox;")
    assert "script-src" not in policy
    assert "default-src 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    promoted = client.post(
        f"{MODELS}/churn/versions/2/promote", json={"alias": "staging"}, headers=maintainer
    )
    assert promoted.json()["moved"] is True


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_bad_requests_answer_with_one_clear_error(client: TestClient, team: Team) -> None:
    headers = team.headers("root")
    clash = {"files": {"a": "aGk=", "a/b": "aGk="}}  # a file that is also a folder
    broken = {"files": {**model_files(), "shipyard-model.json": "ew=="}}  # "{": not JSON
    cases = [
        ("post", f"{MODELS}/churn/versions", {"files": {"../escape": "aGk="}}, 400, "not a plain"),
        ("post", f"{MODELS}/churn/versions", clash, 400, "'a' is both a file and a folder"),
        ("post", f"{MODELS}/churn/versions", {"files": {"a.txt": "%%%"}}, 422, "files.a.txt"),
        ("post", f"{MODELS}/churn/versions", {"files": {"a.txt": "aGk="}}, 400, "not a Shipyard"),
        ("post", f"{MODELS}/churn/versions", broken, 400, "not a Shipyard"),  # was a 500
        ("post", f"{MODELS}/bad name/versions", {"files": model_files()}, 422, "name:"),
        ("get", f"{MODELS}/nope", None, 404, "no model named"),
        ("put", f"{MODELS}/nope/aliases/latest", {"version": 1}, 422, "reserved"),
        ("get", f"{MODELS}/nope/versions/x", None, 404, ""),
        ("get", f"{MODELS}/nope/versions/1/card?format=pdf", None, 422, ""),
        ("get", f"{MODELS}/nope/versions/1/approvals", None, 404, "no model named"),
        ("get", f"{MODELS}/nope/versions/1/approvals?alias=a%2F..", None, 422, "alias"),
        ("get", f"{MODELS}/nope/versions/1/verification", None, 404, "no model named"),
        ("get", f"/api/v1/projects/{PROJECT}/model-versions?run_id=../x", None, 422, "run_id"),
        ("get", f"/api/v1/projects/{PROJECT}/model-versions", None, 422, "run_id"),
    ]
    for method, path, body, status, text in cases:
        answer = client.request(method.upper(), path, json=body, headers=headers)
        assert answer.status_code == status, (path, answer.text)
        if text:
            assert text in answer.json()["error"]["message"], answer.text
        assert "/tmp" not in answer.text  # no server path in any answer
    assert client.get(MODELS, headers=headers).json() == []  # nothing was registered


def _upload(client: TestClient, headers: dict[str, str], files: dict[str, bytes]) -> list[dict]:
    """Upload files through the object routes; the entries that name them."""
    from shipyard.core.digest import digest_of

    entries = []
    for path, data in files.items():
        digest = digest_of(data).hex
        binary = headers | {"Content-Type": "application/octet-stream"}
        path_of = f"/api/v1/projects/{PROJECT}/objects/{digest}"
        put = client.put(path_of, content=data, headers=binary)
        assert put.status_code < 300, put.text
        entries.append({"path": path, "blake3": digest, "size": len(data)})
    return entries


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_registering_uploaded_files_trusts_only_what_the_server_holds(
    client: TestClient, team: Team, database: Database
) -> None:
    import base64

    from shipyard.core.principal import LOCAL_OWNER
    from shipyard.tracking.entities import LogBatch, RunSpec
    from shipyard.tracking.service import TrackingService

    headers = team.headers("contributor")
    files = {p: base64.b64decode(c) for p, c in model_files().items()}
    entries = _upload(client, headers, files)
    stored = f"{MODELS}/uploaded/versions/stored"
    tracking = TrackingService(database)
    run_id = tracking.create_run(LOCAL_OWNER, PROJECT, RunSpec("exp", "r")).id
    tracking.log(LOCAL_OWNER, LogBatch(params=[(run_id, "C", "1.0")]))
    elsewhere = tracking.create_run(LOCAL_OWNER, "fraud", RunSpec("exp", "r")).id

    weights = next(e for e in entries if e["path"].endswith(".skops"))
    rest = [e for e in entries if e is not weights]
    changed = _upload(client, headers, {weights["path"]: files[weights["path"]] + b"!"})
    refusals = [
        ({"files": [*rest, weights | {"blake3": "ab" * 32}]}, 404, "is not in project"),
        ({"files": [*rest, *changed]}, 400, "does not match the stored manifest"),
        ({"files": [*rest, weights | {"size": 1}]}, 400, "bytes on the server"),
        ({"files": [e for e in entries if e["path"] != "shipyard-model.json"]}, 400, "needs its"),
        ({"files": entries, "run_id": elsewhere}, 404, "has no run"),
    ]
    for body, status, text in refusals:
        answer = client.post(stored, json=body, headers=headers)
        assert answer.status_code == status, (body, answer.text)
        assert text in answer.json()["error"]["message"], answer.text
    assert client.get(f"{MODELS}/uploaded", headers=headers).status_code == 404  # none half-made

    lineage = {"run": {"id": "forged"}, "params": {"C": "999"}}  # ignored: not in the schema
    body = {"files": entries, "run_id": run_id, "lineage": lineage, "description": "v1"}
    created = client.post(stored, json=body, headers=headers)
    assert created.status_code == 201, created.text
    version = created.json()
    assert (version["version"], version["run_id"], version["flavor"]) == (1, run_id, "sklearn")
    assert version["lineage"]["run"]["id"] == run_id
    assert version["lineage"]["params"] == {"C": "1.0"}
    viewer = team.headers("viewer")
    manifest = next(e for e in entries if e["path"] == "shipyard-model.json")
    fetched = client.get(f"/api/v1/projects/{PROJECT}/objects/{manifest['blake3']}", headers=viewer)
    assert fetched.status_code == 200
    outsider = client.post(stored.replace(PROJECT, "fraud"), json={"files": entries},
                           headers=team.headers("outsider"))  # fmt: skip
    assert outsider.status_code == 404  # the bytes were uploaded to churn, not to fraud


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_evaluations_are_recorded_and_bad_ones_refused(
    client: TestClient, team: Team, database: Database
) -> None:
    from tests.server.registry_seed import seed_model

    name = seed_model(database, PROJECT)
    headers = team.headers("contributor")
    good = {
        "data_path": "data/holdout.csv",
        "data_digest": "ab" * 32,
        "rows": 120,
        "target": "churned",
        "metrics": {"accuracy": 0.9, "log_loss": 0.3},
    }
    made = client.post(f"{MODELS}/{name}/versions/latest/evaluations", json=good, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 2
    assert (made.json()["source"], made.json()["created_by"]) == ("evaluate", "contributor")
    refusals: list[tuple[str, dict[str, object] | bytes, int, str]] = [
        ("2", good | {"metrics": {"acuracy": 0.9}}, 422, "unknown 'acuracy'"),
        ("2", b'{"data_path": "d", "data_digest": "' + b"ab" * 32
         + b'", "rows": 1, "target": "y", "metrics": {"accuracy": NaN}}', 422, "metrics"),
        ("2", good | {"source": "gate"}, 422, "source"),
        ("2", good | {"rows": 0}, 422, "rows"),
        ("2", good | {"data_digest": "not-a-digest"}, 422, "data_digest"),
        ("9", good, 404, "no version 9"),
        ("@production", good, 404, "no alias 'production'"),
    ]  # fmt: skip
    for version, body, status, text in refusals:
        path = f"{MODELS}/{name}/versions/{version}/evaluations"
        if isinstance(body, bytes):
            json_headers = headers | {"content-type": "application/json"}
            answer = client.post(path, content=body, headers=json_headers)
        else:
            answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == status, (body, answer.text)
        assert text in answer.json()["error"]["message"], answer.text
    shown = client.get(f"{MODELS}/{name}/versions/2", headers=team.headers("viewer")).json()
    assert [e["metrics"] for e in shown["evaluations"]] == [good["metrics"]]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_unsetting_an_alias_keeps_its_reason(
    client: TestClient, team: Team, database: Database
) -> None:
    from tests.server.registry_seed import seed_model

    name = seed_model(database, PROJECT, aliases=(1,))
    headers = team.headers("maintainer")
    alias = f"{MODELS}/{name}/aliases/production"
    too_long = client.delete(alias, params={"reason": "x" * 2001}, headers=headers)
    assert too_long.status_code == 422, too_long.text
    removed = client.delete(alias, params={"reason": "retired: drift & co"}, headers=headers)
    assert removed.status_code == 200, removed.text
    assert removed.json()["event"]["reason"] == "retired: drift & co"
    history = client.get(f"{MODELS}/{name}/history", headers=headers).json()
    assert [(e["action"], e["reason"]) for e in history] == [
        ("set", ""),
        ("remove", "retired: drift & co"),
    ]
