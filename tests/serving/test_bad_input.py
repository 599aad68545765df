"""Every kind of bad input gets a 4xx naming the problem, on both protocols; never a 500."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipyard.serving.options import ServeOptions
from tests.serving.conftest import Data, Models, Server, metric


@pytest.fixture
def server(serve: Callable[..., Server], models: Models) -> Server:
    return serve(ServeOptions(models=(f"churn={models.logistic}",), max_body_mb=0.01))


def _mlflow_cases(data: Data) -> list[tuple[str, Any, str, int, str]]:
    split = data.split(0, 2)
    first = data.columns[0]
    missing = {"columns": split["columns"][1:], "data": [r[1:] for r in split["data"]]}
    text_value = {"columns": split["columns"], "data": [["x", *split["data"][0][1:]]]}
    short_row = {"columns": split["columns"], "data": [split["data"][0][:3]]}
    records = [{c: "a" if c == data.columns[2] else 1.0 for c in data.columns}]
    return [
        ("not json", b"{nope", "application/json", 400, "not valid JSON"),
        ("no format key", {"rows": []}, "application/json", 400, "dataframe_split"),
        ("two format keys", {"inputs": [], "instances": []}, "application/json", 400, "several"),
        ("array body", [1, 2], "application/json", 400, "JSON object"),
        ("missing column", {"dataframe_split": missing}, "application/json", 422, first),
        ("wrong type", {"dataframe_split": text_value}, "application/json", 422, first),
        ("short row", {"dataframe_split": short_row}, "application/json", 400, "row 0"),
        ("record with text", {"dataframe_records": records}, "application/json", 422,
         data.columns[2]),
        ("no rows", {"dataframe_split": {"columns": split["columns"], "data": []}},
         "application/json", 400, "no rows"),
        ("matrix of wrong width", {"instances": [[1.0, 2.0]]}, "application/json", 422,
         "8 columns"),
        ("scalar instances", {"instances": 3}, "application/json", 400, "list of rows"),
        ("nan for the model", {"dataframe_split": {"columns": split["columns"],
                                                   "data": [[None] * 8]}},
         "application/json", 422, "could not predict"),
        ("csv with text", f"{first}\nabc\n".encode(), "text/csv", 422, first),
        ("csv missing column", b"a,b\n1,2\n", "text/csv", 422, first),
        ("wrong content type", b"<xml/>", "application/xml", 415, "application/json"),
        ("no content type", b"{}", "", 415, "application/json"),
        ("latin-1 charset", b"{}", "application/json; charset=latin-1", 415, "UTF-8"),
        ("not parquet", b"PAR1 nope", "application/vnd.apache.parquet", 400, "Parquet"),
        ("parquet column twice", _parquet_twice(), "application/vnd.apache.parquet", 400,
         "'a' twice"),
        ("ragged instances", {"instances": [[1.0] * 8, [1.0]]}, "application/json", 400,
         "rectangular"),
        ("too large", b"[" + b"1," * 20_000 + b"1]", "application/json", 413, "limit"),
    ]  # fmt: skip


def _parquet_twice() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table([pa.array([1.0]), pa.array([2.0])], names=["a", "a"]), sink)
    return sink.getvalue()


def test_mlflow_bad_inputs(server: Server, data: Data) -> None:
    for label, body, media, status, needle in _mlflow_cases(data):
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"content-type": media} if media else {}
        response = server.client.post("/invocations", content=content, headers=headers)
        assert response.status_code == status, (label, response.text)
        answer = response.json()
        assert set(answer) >= {"error_code", "message"}, label
        assert needle in answer["message"], (label, answer)
    metrics = server.client.get("/metrics").text
    assert metric(metrics, "shipyard_serving_requests_total", status="500") == 0
    for status in {case[3] for case in _mlflow_cases(data)}:
        sent = sum(1 for case in _mlflow_cases(data) if case[3] == status)
        counted = metric(metrics, "shipyard_serving_requests_total", protocol="mlflow",
                         status=str(status))  # fmt: skip
        assert counted == sent, status


def test_field_is_named_in_mlflow_errors(server: Server, data: Data) -> None:
    split = data.split(0, 1)
    split["data"][0][3] = "text"
    answer = server.client.post("/invocations", json={"dataframe_split": split}).json()
    assert answer["field"] == data.columns[3]
    assert answer["error_code"] == "INVALID_PARAMETER_VALUE"


def _oip_cases(data: Data) -> list[tuple[str, Any, int, str]]:
    def tensor(**fields: Any) -> dict[str, Any]:
        return {"inputs": [{"name": "x", "shape": [1, 8], "datatype": "FP64",
                            "data": [0.5] * 8, **fields}]}  # fmt: skip

    first = data.columns[0]
    return [
        ("not json", b"{nope", 400, "not valid JSON"),
        ("no inputs", {"outputs": []}, 400, "'inputs'"),
        ("unknown datatype", tensor(datatype="FP128"), 400, "FP128"),
        ("datatype not a string", tensor(datatype=["FP64"]), 400, "unknown datatype"),
        ("bad shape", tensor(shape=[1, -8]), 400, "shape"),
        ("size mismatch", tensor(shape=[2, 8]), 400, "needs 16"),
        ("text in FP64", tensor(data=["a"] * 8), 400, "FP64"),
        ("floats in INT64", tensor(datatype="INT64"), 400, "whole numbers"),
        ("out of FP16's range", tensor(datatype="FP16", data=[1e10] * 8), 400, "FP16"),
        ("out of INT8's range", tensor(datatype="INT8", data=[300] * 8), 400, "INT8"),
        ("huge shape", tensor(shape=[100000000000, 30000000000]), 400,
         "larger than a request can carry"),
        ("huge empty shape", tensor(shape=[0, 10**18]), 400, "larger than a request can carry"),
        ("too many dimensions", tensor(shape=[1] * 40), 400, "40 dimensions"),
        ("binary bytes do not fit", tensor(data=None, parameters={"binary_data_size": 0}),
         400, "0 bytes do not hold"),
        ("NUL in a name", {"inputs": [{"name": first, "shape": [1], "datatype": "FP64",
                                       "data": [1.0]},
                                      {"name": "z\u0000", "shape": [1], "datatype": "FP64",
                                       "data": [1.0]}]}, 422, "'z\\x00'"),
        ("deep JSON", b'{"inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400, "JSON"),
        ("wrong width", tensor(shape=[1, 4], data=[0.5] * 4), 422, "8 columns"),
        ("unknown output", {**tensor(), "outputs": [{"name": "explain"}]}, 400, "explain"),
        ("stray input", {"inputs": [{"name": first, "shape": [1], "datatype": "FP64",
                                     "data": [1.0]},
                                    {"name": "zzz", "shape": [1], "datatype": "FP64",
                                     "data": [1.0]}]}, 422, "zzz"),
        ("missing column", {"inputs": [{"name": first, "shape": [1], "datatype": "FP64",
                                        "data": [1.0]}]}, 422, data.columns[1]),
        ("binary size lies", tensor(data=None, parameters={"binary_data_size": 9999}), 400,
         "binary_data_size"),
        ("too large", b"[" + b"1," * 20_000 + b"1]", 413, "limit"),
    ]  # fmt: skip


def test_oip_bad_inputs(server: Server, data: Data) -> None:
    """And every one is counted with the status the client received."""
    for label, body, status, needle in _oip_cases(data):
        if (
            isinstance(body, dict)
            and body.get("inputs")
            and body["inputs"][0].get("data", 0) is None
        ):
            del body["inputs"][0]["data"]
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = server.client.post(
            "/v2/models/churn/infer", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == status, (label, response.text)
        assert set(response.json()) == {"error"}, label
        assert needle in response.json()["error"], (label, response.json())
    metrics = server.client.get("/metrics").text
    for status in {case[2] for case in _oip_cases(data)}:
        sent = sum(1 for case in _oip_cases(data) if case[2] == status)
        counted = metric(metrics, "shipyard_serving_requests_total", protocol="oip",
                         status=str(status))  # fmt: skip
        assert counted == sent, status


def test_unknown_models_routes_and_methods(server: Server) -> None:
    assert server.client.post("/v2/models/nope/infer", json={}).status_code == 404
    assert server.client.post("/models/nope/invocations", json={}).status_code == 404
    assert server.client.get("/no/such/route").json() == {"error": "Not Found"}
    assert server.client.get("/invocations").status_code == 405
    response = server.client.post(
        "/v2/models/churn/infer", content=b"x", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=4),
    max_leaves=20,
)  # fmt: skip
_SHAPE = st.lists(st.integers(-2, 2**40) | st.sampled_from([0, 1, 8, 2**62]), max_size=40)
_TENSOR = st.fixed_dictionaries(
    {"name": st.text(max_size=12) | st.sampled_from(["x", "mean radius"]),
     "shape": _SHAPE | _JSON,
     "datatype": st.sampled_from(["FP64", "FP32", "FP16", "INT8", "UINT64", "BOOL", "BYTES",
                                  "FP128"]) | _JSON},
    optional={"data": _JSON | st.lists(st.floats(), max_size=20),
              "parameters": _JSON | st.fixed_dictionaries({"binary_data_size": _JSON})},
)  # fmt: skip
_OIP = st.fixed_dictionaries(
    {"inputs": st.lists(_TENSOR, max_size=3) | _JSON},
    optional={"id": _JSON, "outputs": _JSON, "parameters": _JSON},
)
_MLFLOW = st.dictionaries(
    st.sampled_from(["dataframe_split", "dataframe_records", "instances", "inputs", "params"]),
    _JSON, max_size=3,
)  # fmt: skip


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(oip=_OIP, mlflow=_MLFLOW)
def test_hostile_documents_are_never_a_500(server: Server, oip: Any, mlflow: Any) -> None:
    for path, body in (("/v2/models/churn/infer", oip), ("/invocations", mlflow)):
        response = server.client.post(
            path,
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        assert response.status_code in (200, 400, 413, 422), (path, body, response.text)
