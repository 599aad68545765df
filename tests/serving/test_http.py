"""Request ids in headers and bodies, and every answer counted with the status it was sent with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from shipyard.serving.options import ServeOptions
from tests.serving.conftest import Data, Models, Server, metric


@pytest.fixture
def server(serve: Callable[..., Server], models: Models) -> Server:
    return serve(ServeOptions(models=(f"churn={models.logistic}",)))


def _oip(rid: Any) -> dict[str, Any]:
    return {"id": rid, "inputs": [{"name": "x", "shape": [1, 8], "datatype": "FP64",
                                   "data": [0.5] * 8}]}  # fmt: skip


@pytest.mark.parametrize(
    ("rid", "header"),
    [
        ("req-1", "req-1"),
        ("🙂", "%F0%9F%99%82"),
        ("a\nb", "a%0Ab"),
        ("é", "%C3%A9"),
        ("nul\x00here", "nul%00here"),
        (" padded ", "%20padded%20"),
    ],
)
def test_the_oip_id_is_echoed_exactly_and_its_header_is_safe(
    server: Server, rid: str, header: str
) -> None:
    response = server.client.post("/v2/models/churn/infer", json=_oip(rid))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == rid
    assert response.headers["x-request-id"] == header
    assert unquote(header) == rid


def test_a_bad_oip_id_is_refused_with_a_clear_message(server: Server) -> None:
    for rid in (5, True, ["a"], {"a": 1}):
        response = server.client.post("/v2/models/churn/infer", json=_oip(rid))
        assert response.status_code == 400, (rid, response.text)
        assert response.json() == {"error": "the request 'id' must be a string"}
    long = server.client.post("/v2/models/churn/infer", json=_oip("x" * 257))
    assert long.status_code == 400
    assert "256 characters" in long.json()["error"]
    empty = server.client.post("/v2/models/churn/infer", json=_oip(""))
    assert empty.status_code == 200
    assert empty.json()["id"] == ""
    assert empty.headers["x-request-id"]
    null = server.client.post("/v2/models/churn/infer", json=_oip(None))  # absent, as KServe
    assert null.status_code == 200
    assert null.json()["id"] == null.headers["x-request-id"]


def test_an_error_answer_carries_a_safe_id_header_too(server: Server) -> None:
    body = _oip("🙂")
    body["inputs"][0]["shape"] = [1, 4]
    body["inputs"][0]["data"] = [0.5] * 4
    response = server.client.post("/v2/models/churn/infer", json=body)
    assert response.status_code == 422
    assert response.headers["x-request-id"] == "%F0%9F%99%82"


def test_x_request_id_is_kept_when_printable_and_encoded_when_not(
    server: Server, data: Data
) -> None:
    body = {"dataframe_split": data.split(0, 1)}
    plain = server.client.post("/invocations", json=body, headers={"x-request-id": "abc-1"})
    assert plain.headers["x-request-id"] == "abc-1"
    utf8 = server.client.post("/invocations", json=body, headers={"x-request-id": "é".encode()})
    assert utf8.status_code == 200
    assert utf8.headers["x-request-id"] == "%C3%A9"
    oip = server.client.post(
        "/v2/models/churn/infer", json=_oip(""), headers={"x-request-id": "é".encode()}
    )
    assert oip.headers["x-request-id"] == "%C3%A9"
    binary = server.client.post(
        "/invocations", json=body, headers={"x-request-id": b"\xff\xfe"}
    )  # not UTF-8: a new id
    assert binary.status_code == 200
    assert binary.headers["x-request-id"].isascii()
    assert binary.headers["x-request-id"] != "%FF%FE"


def test_every_answer_is_counted_with_the_status_the_client_received(
    server: Server, data: Data
) -> None:
    seen: dict[str, int] = {}
    requests: list[tuple[str, dict[str, Any]]] = [
        ("/v2/models/churn/infer", _oip("🙂")),
        ("/v2/models/churn/infer", _oip("a\nb")),
        ("/v2/models/churn/infer", _oip(5)),
        ("/v2/models/churn/infer", {"inputs": "nope"}),
        ("/invocations", {"dataframe_split": data.split(0, 2)}),
        ("/invocations", {"rows": []}),
    ]
    for path, body in requests:
        try:
            status = server.client.post(path, json=body).status_code
        except httpx.HTTPError:  # the connection dropped: the client got no answer
            status = 0
        seen[str(status)] = seen.get(str(status), 0) + 1
    assert seen == {"200": 3, "400": 3}
    text = server.client.get("/metrics").text
    for status, count in seen.items():
        counted = sum(
            metric(text, "shipyard_serving_requests_total", protocol=protocol, status=status)
            for protocol in ("oip", "mlflow")
        )
        assert counted == count, (status, text)
    assert metric(text, "shipyard_serving_requests_total", status="500") == 0


def test_serving_statuses_are_the_servers_but_for_its_declared_overrides() -> None:
    from shipyard.core import errors as e
    from shipyard.core.statuses import STATUS_FOR, status_for
    from shipyard.serving.http import SERVING_OVERRIDES, error_status

    overridden = {cls for cls, _ in SERVING_OVERRIDES}
    for cls, _ in STATUS_FOR:
        error = cls("x", retry_after=1) if cls is e.RateLimited else cls("x")
        if not any(isinstance(error, o) for o in overridden):
            assert error_status(error) == status_for(error), cls.__name__
    assert error_status(e.SignatureMismatch("x")) == 422
    assert error_status(e.IntegrityError("x")) == 503
    assert error_status(e.Conflict("x")) == 409  # was 503 here, 409 on the team server
    assert error_status(RuntimeError("x")) == 500
