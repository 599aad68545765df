"""The registry over HTTP: register, read, move aliases, roll back, cards, errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

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
    promoted = client.post(
        f"{MODELS}/churn/versions/2/promote", json={"alias": "staging"}, headers=maintainer
    )
    assert promoted.json()["moved"] is True


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_bad_requests_answer_with_one_clear_error(client: TestClient, team: Team) -> None:
    headers = team.headers("root")
    cases = [
        ("post", f"{MODELS}/churn/versions", {"files": {"../escape": "aGk="}}, 400, "leaves"),
        ("post", f"{MODELS}/churn/versions", {"files": {"a.txt": "%%%"}}, 400, "base64"),
        ("post", f"{MODELS}/churn/versions", {"files": {"a.txt": "aGk="}}, 404, "not a Shipyard"),
        ("post", f"{MODELS}/bad name/versions", {"files": model_files()}, 400, "model name"),
        ("get", f"{MODELS}/nope", None, 404, "no model named"),
        ("put", f"{MODELS}/nope/aliases/latest", {"version": 1}, 400, "reserved"),
        ("get", f"{MODELS}/nope/versions/x", None, 400, "invalid version"),
        ("get", f"{MODELS}/nope/versions/1/card?format=pdf", None, 422, ""),
    ]
    for method, path, body, status, text in cases:
        answer = client.request(method.upper(), path, json=body, headers=headers)
        assert answer.status_code == status, (path, answer.text)
        if text:
            assert text in answer.json()["error"]["message"], answer.text
    assert client.get(MODELS, headers=headers).json() == []  # nothing was registered
