"""The MLflow scoring protocol end to end over HTTP, and MLflow's own client against it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from shipyard._version import __version__
from shipyard.serving.options import ServeOptions
from tests.serving.conftest import Data, Models, Server

PEERS_PYTHON = "bench/.venv-peers/bin/python"


@pytest.fixture
def server(serve: Callable[..., Server], models: Models) -> Server:
    return serve(ServeOptions(models=(f"churn={models.logistic}",), preload=True))


def expected(models: Models, data: Data, start: int, stop: int) -> list[int]:
    return models.logistic_model.predict(data.frame.iloc[start:stop]).tolist()


def test_every_json_format_answers_the_models_predictions(
    server: Server, models: Models, data: Data
) -> None:
    rows = data.frame.iloc[10:15]
    want = expected(models, data, 10, 15)
    bodies = [
        {"dataframe_split": data.split(10, 15)},
        {"dataframe_split": {**data.split(10, 15), "index": list(range(5))}},
        {"dataframe_records": rows.to_dict("records")},
        {"instances": rows.to_dict("records")},
        {"inputs": rows.to_dict("list")},
        {"inputs": rows.to_dict("records"), "params": {"unknown": 1}},
        {"instances": rows.to_numpy().tolist()},
    ]
    for body in bodies:
        response = server.client.post("/invocations", json=body)
        assert response.status_code == 200, (body.keys(), response.text)
        assert response.json() == {"predictions": want}
        assert response.headers["x-model-name"] == "churn"
        assert response.headers["x-model-variant"] == "primary"
        assert response.headers["x-request-id"]


def test_columns_in_another_order_and_extra_columns(
    server: Server, models: Models, data: Data
) -> None:
    rows = data.frame.iloc[0:4]
    shuffled = rows[list(reversed(data.columns))].assign(extra=1.0)
    body = {"dataframe_split": shuffled.to_dict("split")}
    response = server.client.post("/invocations", json=body)
    assert response.json() == {"predictions": expected(models, data, 0, 4)}


def test_csv_and_probabilities(server: Server, models: Models, data: Data) -> None:
    rows = data.frame.iloc[20:23]
    response = server.client.post(
        "/invocations", content=rows.to_csv(index=False), headers={"content-type": "text/csv"}
    )
    assert response.json() == {"predictions": expected(models, data, 20, 23)}
    response = server.client.post(
        "/invocations",
        json={"dataframe_split": data.split(20, 23), "params": {"method": "predict_proba"}},
    )
    probabilities = np.array(response.json()["predictions"])
    want = models.logistic_model.predict_proba(rows)
    assert probabilities.shape == (3, 2)
    assert np.allclose(probabilities, want, atol=1e-4)


def test_what_mlflow_accepts_shipyard_accepts(server: Server, models: Models, data: Data) -> None:
    """Parquet bodies, one row as an object of scalars, and params MLflow ignores."""
    rows = data.frame.iloc[5:9]
    parquet = server.client.post(
        "/invocations",
        content=rows.to_parquet(),
        headers={"content-type": "application/vnd.apache.parquet"},
    )
    assert parquet.status_code == 200, parquet.text
    assert parquet.json() == {"predictions": expected(models, data, 5, 9)}
    one_row = {"inputs": data.frame.iloc[7].to_dict()}
    assert server.client.post("/invocations", json=one_row).json() == {
        "predictions": expected(models, data, 7, 8)
    }
    split = {"dataframe_split": data.split(5, 9)}
    for params in ([1], "x", {"method": "explain"}, {"method": ["predict_proba"]}):
        answer = server.client.post("/invocations", json={**split, "params": params})
        assert answer.status_code == 200, (params, answer.text)
        assert answer.json() == {"predictions": expected(models, data, 5, 9)}


def test_parquet_bodies_are_bounded(serve: Callable[..., Server], models: Models) -> None:
    """A small file that decodes past the body limit is refused before it is decoded."""
    import pandas as pd

    server = serve(ServeOptions(models=(f"churn={models.logistic}",), max_body_mb=0.05))
    wide = pd.DataFrame({"a": ["x" * 1000] * 2000})  # 2 MB of text in a few KB of Parquet
    packed = wide.to_parquet(compression="zstd")
    assert len(packed) < 50_000
    answer = server.client.post(
        "/invocations", content=packed, headers={"content-type": "application/vnd.apache.parquet"}
    )
    assert answer.status_code in (413, 422), answer.text
    many = pd.DataFrame({c: [0.0] * 20_000 for c in "abcdefgh"}).to_parquet(compression="zstd")
    assert len(many) < 50_000
    answer = server.client.post(
        "/invocations", content=many, headers={"content-type": "application/vnd.apache.parquet"}
    )
    assert answer.status_code == 413, answer.text
    assert "Parquet body decodes" in answer.json()["message"]
    nested = pd.DataFrame({"a": [[0.0] * 100_000]}).to_parquet(compression="zstd")  # one row
    assert len(nested) < 50_000
    answer = server.client.post(
        "/invocations", content=nested, headers={"content-type": "application/vnd.apache.parquet"}
    )
    assert answer.status_code == 413, answer.text


def test_ping_health_version(server: Server) -> None:
    assert server.client.get("/ping").status_code == 200
    assert server.client.get("/health").status_code == 200
    assert server.client.get("/version").text == __version__


def test_named_route_when_several_models_are_served(
    serve: Callable[..., Server], models: Models, data: Data
) -> None:
    server = serve(ServeOptions(models=(f"churn={models.logistic}", f"always7={models.constant}")))
    body = {"dataframe_split": data.split(0, 3)}
    refused = server.client.post("/invocations", json=body)
    assert refused.status_code == 400
    assert "several models" in refused.json()["message"]
    answered = server.client.post("/models/always7/invocations", json=body)
    assert answered.json() == {"predictions": [7, 7, 7]}


@pytest.mark.slow
def test_mlflows_own_scoring_client_works_unchanged(
    server: Server, data: Data, models: Models
) -> None:
    """mlflow.pyfunc.scoring_server.client.ScoringServerClient, from the peers' venv."""
    code = """
import json, sys
import pandas as pd
from mlflow.pyfunc.scoring_server.client import ScoringServerClient
port = int(sys.argv[1]); frame = pd.DataFrame(json.loads(sys.argv[2]))
client = ScoringServerClient("127.0.0.1", port)
client.wait_server_ready(timeout=30)
result = client.invoke(frame)
print(json.dumps({"predictions": result.get_predictions().iloc[:, 0].tolist(),
                  "version": client.get_version()}))
"""
    frame = data.frame.iloc[30:36]
    done = subprocess.run(
        [PEERS_PYTHON, "-c", code, str(server.port), frame.to_json(orient="columns")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["predictions"] == expected(models, data, 30, 36)
    assert answer["version"] == __version__


DIFFERENCES = {
    # deliberate, and listed in docs/serving.md ("Compatibility with mlflow models serve")
    "missing column": (400, 422),
    "predict_proba": (200, 200),
    "other content-type parameter": (415, 200),
    "gzip body": (400, 200),
}


@pytest.mark.slow
def test_mlflows_scoring_server_and_shipyard_answer_alike(
    server: Server, data: Data, models: Models, tmp_path: Path
) -> None:
    """MLflow's own scoring code and Shipyard, on the same requests: what MLflow accepts,
    Shipyard accepts with the same predictions; the differences are the documented ones."""
    script = Path(__file__).with_name("mlflow_peer.py")
    done = subprocess.run(
        [PEERS_PYTHON, str(script), str(server.port), str(tmp_path / "mlflow-model")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    want = expected(models, data, 60, 64)
    for result in results:
        name, mlflow, shipyard = result["name"], result["mlflow"], result["shipyard"]
        if name in DIFFERENCES:
            assert (mlflow["status"], shipyard["status"]) == DIFFERENCES[name], result
            continue
        assert mlflow["status"] == 200, result
        assert shipyard["status"] == 200, result
        wanted = want[:1] if name == "inputs of one row" else want
        assert mlflow["body"] == {"predictions": wanted}, result
        assert shipyard["body"] == {"predictions": wanted}, result
    proba = next(r for r in results if r["name"] == "predict_proba")
    assert np.array(proba["shipyard"]["body"]["predictions"]).shape == (4, 2)
    assert proba["mlflow"]["body"] == {"predictions": want}
    missing = next(r for r in results if r["name"] == "missing column")
    assert missing["shipyard"]["body"]["field"] == data.columns[0]
