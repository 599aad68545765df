"""The Open Inference Protocol v2 end to end, with Triton's own HTTP client unchanged."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from shipyard.serving.options import ServeOptions
from tests.serving.conftest import Data, Models, Server


@pytest.fixture
def server(serve: Callable[..., Server], models: Models) -> Server:
    return serve(ServeOptions(models=(f"churn={models.logistic}",)))


def test_health_and_server_metadata(server: Server) -> None:
    assert server.client.get("/v2/health/live").json() == {"live": True}
    assert server.client.get("/v2/health/ready").json() == {"ready": True}
    meta = server.client.get("/v2").json()
    assert meta["name"] == "shipyard"
    assert "binary_tensor_data" in meta["extensions"]


def test_model_metadata_shows_the_onnx_fast_path(server: Server, data: Data) -> None:
    meta = server.client.get("/v2/models/churn").json()
    assert meta["name"] == "churn"
    assert meta["platform"] == "onnxruntime"
    assert meta["parameters"]["onnx_fast_path"]["available"] is True
    assert [i["name"] for i in meta["inputs"]] == data.columns
    assert {i["datatype"] for i in meta["inputs"]} == {"FP64"}
    assert [o["name"] for o in meta["outputs"]] == ["predict", "predict_proba"]
    version = meta["versions"][0]
    assert server.client.get(f"/v2/models/churn/versions/{version}").json()["name"] == "churn"
    assert server.client.get("/v2/models/churn/ready").json() == {"name": "churn", "ready": True}
    assert server.client.get(f"/v2/models/churn/versions/{version}/ready").status_code == 200
    assert server.client.get("/v2/models/churn/versions/nope/ready").status_code == 404
    assert server.client.get("/v2/models/nope").json() == {
        "error": "no model named 'nope' is served here (served: churn)"
    }


def test_infer_with_one_matrix_input_and_with_one_input_per_column(
    server: Server, models: Models, data: Data
) -> None:
    rows = data.frame.iloc[40:43]
    want = models.logistic_model.predict(rows).tolist()
    matrix = {
        "id": "req-1",
        "inputs": [{"name": "x", "shape": [3, 8], "datatype": "FP64",
                    "data": rows.to_numpy().ravel().tolist()}],
    }  # fmt: skip
    answer = server.client.post("/v2/models/churn/infer", json=matrix).json()
    assert answer["id"] == "req-1"
    assert answer["model_name"] == "churn"
    assert answer["outputs"] == [
        {"name": "predict", "shape": [3], "datatype": "INT64", "data": want}
    ]
    columns = {
        "inputs": [
            {"name": c, "shape": [3], "datatype": "FP64", "data": rows[c].tolist()}
            for c in data.columns
        ],
        "outputs": [{"name": "predict"}, {"name": "predict_proba"}],
    }
    answer = server.client.post("/v2/models/churn/infer", json=columns).json()
    assert answer["outputs"][0]["data"] == want
    proba = answer["outputs"][1]
    assert proba["shape"] == [3, 2]
    assert np.allclose(
        np.array(proba["data"]).reshape(3, 2), models.logistic_model.predict_proba(rows), atol=1e-4
    )
    version = answer["model_version"]
    versioned = server.client.post(f"/v2/models/churn/versions/{version}/infer", json=matrix)
    assert versioned.json()["outputs"][0]["data"] == want


def test_tritons_http_client_works_unchanged(server: Server, models: Models, data: Data) -> None:
    """tritonclient.http, with its defaults: binary tensor data both ways."""
    import tritonclient.http as triton
    from tritonclient.utils import InferenceServerException

    rows = data.frame.iloc[50:55].to_numpy()
    client = triton.InferenceServerClient(f"127.0.0.1:{server.port}")
    try:
        assert client.is_server_live()
        assert client.is_server_ready()
        assert client.is_model_ready("churn")
        assert client.get_model_metadata("churn")["platform"] == "onnxruntime"
        tensor = triton.InferInput("x", list(rows.shape), "FP64")
        tensor.set_data_from_numpy(rows)  # binary by default
        result = client.infer("churn", [tensor])
        want = models.logistic_model.predict(data.frame.iloc[50:55])
        assert result.as_numpy("predict").tolist() == want.tolist()
        json_tensor = triton.InferInput("x", list(rows.shape), "FP64")
        json_tensor.set_data_from_numpy(rows, binary_data=False)
        outputs = [triton.InferRequestedOutput("predict_proba", binary_data=False)]
        result = client.infer("churn", [json_tensor], outputs=outputs)
        assert result.as_numpy("predict_proba").shape == (5, 2)
        bad = triton.InferInput("x", [1, 3], "FP64")
        bad.set_data_from_numpy(np.zeros((1, 3)))
        with pytest.raises(InferenceServerException, match="8 columns"):
            client.infer("churn", [bad])
    finally:
        client.close()


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_tritons_client_with_compression_both_ways(
    server: Server, models: Models, data: Data, coding: str
) -> None:
    """request_compression_algorithm and response_compression_algorithm, binary and JSON."""
    import tritonclient.http as triton

    rows = data.frame.iloc[:200].to_numpy()
    want = models.logistic_model.predict_proba(data.frame.iloc[:200])
    client = triton.InferenceServerClient(f"127.0.0.1:{server.port}")
    try:
        for binary in (True, False):
            tensor = triton.InferInput("x", list(rows.shape), "FP64")
            tensor.set_data_from_numpy(rows, binary_data=binary)
            outputs = [triton.InferRequestedOutput("predict_proba", binary_data=binary)]
            result = client.infer(
                "churn", [tensor], outputs=outputs, request_id="triton-1",
                request_compression_algorithm=coding, response_compression_algorithm=coding,
            )  # fmt: skip
            assert np.allclose(result.as_numpy("predict_proba"), want, atol=1e-4)
            assert result.get_response()["id"] == "triton-1"
    finally:
        client.close()


def test_one_content_type_rule_for_both_protocols(server: Server, data: Data) -> None:
    oip = {"inputs": [{"name": "x", "shape": [1, 8], "datatype": "FP64", "data": [0.5] * 8}]}
    mlflow = {"dataframe_split": data.split(0, 1)}
    for path, body in (("/v2/models/churn/infer", oip), ("/invocations", mlflow)):
        for media, status in (
            ("application/json; charset=utf-16", 415),
            ("application/json; charset=latin-1", 415),
            ("application/json; charset=UTF-8", 200),
            ('application/json; charset="utf-8"', 200),
            ("Application/JSON", 200),
            ("text/plain", 415),
        ):
            answer = server.client.post(path, json=body, headers={"content-type": media})
            assert answer.status_code == status, (path, media, answer.text)
