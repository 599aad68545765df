"""Hostile and wrong requests to MLflow's API on the team server: one-line MLflow errors
with the right 4xx, nothing stored, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.serverkit import Team

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def maintainer(client: TestClient, team: Team) -> TestClient:
    client.headers.update(team.headers("maintainer"))
    return client


@pytest.fixture
def run(maintainer: TestClient) -> tuple[str, str]:
    """A running run: (experiment id, run id)."""
    created = maintainer.post(f"{API}/experiments/create", json={"name": "hostile"})
    experiment = created.json()["experiment_id"]
    started = maintainer.post(f"{API}/runs/create", json={"experiment_id": experiment})
    return experiment, started.json()["run"]["info"]["run_id"]


def error_of(answer: object, status: int, code: str) -> str:
    body = answer.json()  # type: ignore[attr-defined]
    assert (answer.status_code, body["error_code"]) == (status, code), body  # type: ignore[attr-defined]
    assert "\n" not in body["message"]
    return str(body["message"])


def test_an_unknown_run_or_experiment_is_resource_does_not_exist(maintainer: TestClient) -> None:
    error_of(maintainer.get(f"{API}/runs/get", params={"run_id": "nope"}), 404,
             "RESOURCE_DOES_NOT_EXIST")  # fmt: skip
    error_of(maintainer.get(f"{API}/experiments/get-by-name", params={"experiment_name": "x"}),
             404, "RESOURCE_DOES_NOT_EXIST")  # fmt: skip
    error_of(maintainer.get(f"{API}/registered-models/alias",
                            params={"name": "none", "alias": "champion"}),
             404, "RESOURCE_DOES_NOT_EXIST")  # fmt: skip


def test_without_a_token_mlflow_calls_are_unauthenticated(client: TestClient) -> None:
    answer = client.get(f"{API}/experiments/get-by-name", params={"experiment_name": "x"})
    error_of(answer, 401, "UNAUTHENTICATED")
    error_of(client.put(f"{ARTIFACTS}/1/2/artifacts/x", content=b"x"), 401, "UNAUTHENTICATED")


def test_an_experiment_created_twice_already_exists(maintainer: TestClient) -> None:
    assert maintainer.post(f"{API}/experiments/create", json={"name": "twice"}).status_code == 200
    error_of(maintainer.post(f"{API}/experiments/create", json={"name": "twice"}), 409,
             "RESOURCE_ALREADY_EXISTS")  # fmt: skip


def test_huge_or_malformed_values_are_refused(maintainer: TestClient, run: tuple[str, str]) -> None:
    run_id = run[1]
    huge = {"run_id": run_id, "key": "k", "value": "x" * 1_000_000}
    message = error_of(maintainer.post(f"{API}/runs/log-parameter", json=huge), 400,
                       "INVALID_PARAMETER_VALUE")  # fmt: skip
    assert "value" in message
    metrics = [{"key": "m", "value": 1.0, "timestamp": 1, "step": i} for i in range(1001)]
    error_of(maintainer.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics}),
             400, "INVALID_PARAMETER_VALUE")  # fmt: skip
    bad_key = {"run_id": run_id, "key": "a\nb", "value": 1.0, "timestamp": 1, "step": 0}
    error_of(maintainer.post(f"{API}/runs/log-metric", json=bad_key), 400,
             "INVALID_PARAMETER_VALUE")  # fmt: skip
    step = {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1, "step": 2**80}
    error_of(maintainer.post(f"{API}/runs/log-metric", json=step), 400, "INVALID_PARAMETER_VALUE")
    not_json = maintainer.post(f"{API}/runs/log-metric", content=b"{nope",
                               headers={"content-type": "application/json"})  # fmt: skip
    error_of(not_json, 400, "INVALID_PARAMETER_VALUE")
    answer = maintainer.get(f"{API}/runs/get", params={"run_id": run_id}).json()
    assert answer["run"]["data"]["params"] == []
    assert answer["run"]["data"]["metrics"] == []


def test_a_param_logged_again_with_another_value_is_refused(
    maintainer: TestClient, run: tuple[str, str]
) -> None:
    param = {"run_id": run[1], "key": "C", "value": "1"}
    assert maintainer.post(f"{API}/runs/log-parameter", json=param).status_code == 200
    answer = maintainer.post(f"{API}/runs/log-parameter", json=param | {"value": "2"})
    assert answer.status_code in (400, 409)
    assert "C" in answer.json()["message"]


@pytest.mark.parametrize(
    "path",
    ["{e}/{r}/artifacts/../../x", "{e}/{r}/artifacts/%2e%2e/%2e%2e/x", "{e}/{r}/artifacts//x",
     "{e}/{r}/artifacts/.git/config", "{e}/{r}/artifacts/a%5Cb", "../{r}/artifacts/x"],
)  # fmt: skip
def test_artifact_paths_cannot_leave_the_run(
    maintainer: TestClient, run: tuple[str, str], path: str
) -> None:
    url = f"{ARTIFACTS}/" + path.format(e=run[0], r=run[1])
    answer = maintainer.put(url, content=b"payload")
    # A path the HTTP client normalises out of the artifact routes meets no route at all.
    assert 400 <= answer.status_code < 500, answer.text
    assert "error_code" in answer.json() or "error" in answer.json()
    listed = maintainer.get(ARTIFACTS, params={"path": f"{run[0]}/{run[1]}/artifacts"})
    assert listed.json() == {}


def test_artifacts_of_unknown_runs_and_files_are_not_found(
    maintainer: TestClient, run: tuple[str, str]
) -> None:
    error_of(maintainer.get(f"{ARTIFACTS}/{run[0]}/{run[1]}/artifacts/missing.txt"), 404,
             "RESOURCE_DOES_NOT_EXIST")  # fmt: skip
    error_of(maintainer.put(f"{ARTIFACTS}/0/01aaaaaaaaaaaaaaaaaaaaaaaa/artifacts/x",
                            content=b"x"), 404, "RESOURCE_DOES_NOT_EXIST")  # fmt: skip
    error_of(maintainer.get(f"{ARTIFACTS}/just/a/path"), 404, "RESOURCE_DOES_NOT_EXIST")
    error_of(maintainer.get(f"{API}/logged-models/m-nonsense"), 400, "INVALID_PARAMETER_VALUE")


def test_an_artifact_round_trips_and_lists(maintainer: TestClient, run: tuple[str, str]) -> None:
    base = f"{run[0]}/{run[1]}/artifacts"
    assert maintainer.put(f"{ARTIFACTS}/{base}/d/notes.txt", content=b"hello").status_code == 200
    assert maintainer.get(f"{ARTIFACTS}/{base}/d/notes.txt").content == b"hello"
    assert maintainer.get(ARTIFACTS, params={"path": base}).json() == {
        "files": [{"path": "d", "is_dir": True}]}  # fmt: skip
    assert maintainer.get(ARTIFACTS, params={"path": f"{base}/d"}).json() == {
        "files": [{"path": "notes.txt", "is_dir": False, "file_size": 5}]}  # fmt: skip


def test_registering_from_a_foreign_source_is_refused(maintainer: TestClient) -> None:
    for source in ("s3://bucket/model", "file:///etc", "runs:/../x", "models:/other/1"):
        answer = maintainer.post(f"{API}/model-versions/create",
                                 json={"name": "m", "source": source})  # fmt: skip
        assert 400 <= answer.status_code < 500, (source, answer.text)
        assert answer.json()["error_code"]
