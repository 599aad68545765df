"""HTTP semantics every path keeps: OPTIONS, HEAD, 405 with the full Allow list, ignored Ranges."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shipyard.core.digest import digest_of
from tests.serverkit import PROJECT, Team

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
OBJECTS = f"/api/v1/projects/{PROJECT}/objects"
_VERBS = {"get", "put", "post", "delete", "patch"}


def _documented(client: TestClient) -> dict[str, set[str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return {path: {m.upper() for m in ops if m in _VERBS} for path, ops in paths.items()}


def _concrete(path: str) -> str:
    values = {"{digest}": "a" * 64, "{project}": PROJECT, "{version}": "1",
              "{run_id}": "01" + "a" * 24}  # fmt: skip
    for name, value in values.items():
        path = path.replace(name, value)
    return path.replace("{", "").replace("}", "")


def test_options_answers_every_method_of_the_path(client: TestClient) -> None:
    for path, methods in _documented(client).items():
        answer = client.options(_concrete(path))
        assert answer.status_code == 204, path
        head = {"HEAD"} if "GET" in methods else set()
        assert set(answer.headers["allow"].split(", ")) == methods | head | {"OPTIONS"}, path


def test_a_method_the_path_lacks_is_405_listing_all_it_takes(client: TestClient) -> None:
    answer = client.patch("/api/v1/users")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert answer.json()["error"]["type"] == "MethodNotAllowed"


def test_head_answers_as_get_without_the_body(client: TestClient, team: Team) -> None:
    for path, headers in (("/health", {}), ("/api/v1/users", team.headers("root"))):
        got = client.get(path, headers=headers)
        head = client.head(path, headers=headers)
        assert (head.status_code, got.status_code) == (200, 200), path
        assert head.content == b""
        assert (
            head.headers["content-length"] == got.headers["content-length"] == str(len(got.content))
        )
        assert head.headers["content-type"] == got.headers["content-type"]
    assert client.head("/api/v1/users").status_code == 401  # the GET's rules, token included
    posted_only = client.head(f"{OBJECTS}/upload")
    assert posted_only.status_code == 405
    assert posted_only.content == b""
    assert posted_only.headers["allow"] == "OPTIONS, POST"


@pytest.mark.parametrize("action", ["download", "upload", "missing", "stat"])
def test_a_put_on_a_named_object_route_is_not_taken_for_a_digest(
    client: TestClient, team: Team, action: str
) -> None:
    for headers in ({}, team.headers("contributor")):
        answer = client.put(f"{OBJECTS}/{action}", content=b"x", headers=headers)
        assert answer.status_code == 405, answer.text
        assert answer.headers["allow"] == "OPTIONS, POST"


def test_an_upload_without_objects_is_refused(client: TestClient, team: Team) -> None:
    answer = client.post(f"{OBJECTS}/upload", content=b"", headers=team.headers("contributor"))
    assert answer.status_code == 400
    assert "holds no objects" in answer.json()["error"]["message"]


@pytest.mark.parametrize("given", ["null", "bytes=0-1,5-6", "bytes=-5", "items=0-1", ""])
def test_a_range_of_another_form_is_ignored(client: TestClient, team: Team, given: str) -> None:
    data = b"0123456789"
    headers = team.headers("contributor")
    assert client.put(f"{OBJECTS}/{digest_of(data).hex}", content=data, headers=headers).is_success
    answer = client.get(f"{OBJECTS}/{digest_of(data).hex}", headers={**headers, "Range": given})
    assert (answer.status_code, answer.content) == (200, data)
