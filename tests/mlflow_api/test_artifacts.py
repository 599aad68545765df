"""MLflow's artifact proxy keeps a run's files in the object store, whole and deduplicated."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from shipyard.core.principal import LOCAL_OWNER
from shipyard.store.db import Database
from shipyard.tracking.service import TrackingService
from tests.serverkit import Team

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def test_a_large_artifact_arrives_whole_as_a_run_artifact(
    client: TestClient, team: Team, database: Database
) -> None:
    client.headers.update(team.headers("maintainer"))
    experiment = client.post(f"{API}/experiments/create", json={"name": "big"}).json()
    experiment_id = experiment["experiment_id"]
    run = client.post(f"{API}/runs/create", json={"experiment_id": experiment_id}).json()
    run_id = run["run"]["info"]["run_id"]
    data = os.urandom(9 * 1024 * 1024 + 123)  # chunked by the store, read by its threads
    url = f"{ARTIFACTS}/{experiment_id}/{run_id}/artifacts/data/big.bin"
    assert client.put(url, content=data).status_code == 200
    assert client.get(url).content == data
    detail = TrackingService(database).get_run(LOCAL_OWNER, run_id)
    assert [(a.path, a.size) for a in detail.artifacts] == [("data/big.bin", len(data))]
