"""Compressed request bodies (bounded however well they compress) and compressed answers."""

from __future__ import annotations

import gzip
import http.client
import tracemalloc
import zlib
from collections.abc import Callable

import orjson
import pytest
from starlette.exceptions import HTTPException

from shipyard.core.errors import InvalidInput
from shipyard.serving.codings import BodyDecoder, answer_coding
from shipyard.serving.options import ServeOptions
from tests.serving.conftest import Data, Models, Server, metric

LIMIT = 1 << 20


@pytest.fixture
def server(serve: Callable[..., Server], models: Models) -> Server:
    return serve(ServeOptions(models=(f"churn={models.logistic}",), max_body_mb=1))


def _raw_deflate(body: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()


def _decode(coding: str, payload: bytes, max_bytes: int = LIMIT, step: int = 7) -> bytes:
    decoder = BodyDecoder(coding, max_bytes)
    out = b"".join(decoder.feed(payload[i : i + step]) for i in range(0, len(payload), step))
    decoder.finish()
    return out


def test_gzip_deflate_and_raw_deflate_decode_in_any_chunking() -> None:
    body = b'{"inputs": [' + b"1.5, " * 3000 + b"1]}"
    assert _decode("gzip", gzip.compress(body)) == body
    assert _decode("gzip", gzip.compress(body[:100]) + gzip.compress(body[100:])) == body
    assert _decode("deflate", zlib.compress(body), step=1) == body
    assert _decode("deflate", _raw_deflate(body)) == body


def test_broken_streams_are_400() -> None:
    body = gzip.compress(b"x" * 1000)
    with pytest.raises(InvalidInput, match="ends before"):
        _decode("gzip", body[:-5])
    with pytest.raises(InvalidInput, match="cannot be decoded"):
        _decode("gzip", b"not gzip at all")
    with pytest.raises(InvalidInput, match="after its end"):
        _decode("deflate", zlib.compress(b"x") + b"tail")


def test_a_zip_bomb_is_refused_without_allocating_more_than_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 MiB in ~64 KiB
    assert len(bomb) < LIMIT
    tracemalloc.start()
    try:
        with pytest.raises(HTTPException) as refused:
            _decode("gzip", bomb, step=16_384)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.status_code == 413
    assert peak < 3 * LIMIT


def test_the_answer_coding_follows_accept_encoding() -> None:
    assert answer_coding(b"gzip, deflate, br") == "gzip"
    assert answer_coding(b"deflate") == "deflate"
    assert answer_coding(b"gzip;q=0, deflate;q=0.5") == "deflate"
    assert answer_coding(b"*") == "gzip"
    assert answer_coding(b"br, identity") is None
    assert answer_coding(None) is None


def _oip_body(data: Data, rows: int) -> bytes:
    frame = data.frame.iloc[:rows]
    return orjson.dumps({"inputs": [{"name": "x", "shape": [rows, 8], "datatype": "FP64",
                                     "data": frame.to_numpy().ravel().tolist()}],
                         "outputs": [{"name": "predict_proba"}]})  # fmt: skip


def test_compressed_bodies_over_http_on_both_protocols(server: Server, data: Data) -> None:
    oip = _oip_body(data, 50)
    mlflow = orjson.dumps({"dataframe_split": data.split(0, 50)})
    for coding, pack in (("gzip", gzip.compress), ("deflate", zlib.compress),
                         ("x-gzip", gzip.compress), ("deflate", _raw_deflate)):  # fmt: skip
        headers = {"content-type": "application/json", "content-encoding": coding}
        answer = server.client.post("/v2/models/churn/infer", content=pack(oip), headers=headers)
        assert answer.status_code == 200, (coding, answer.text)
        assert answer.json()["outputs"][0]["shape"] == [50, 2]
        answer = server.client.post("/invocations", content=pack(mlflow), headers=headers)
        assert answer.status_code == 200, (coding, answer.text)
        assert len(answer.json()["predictions"]) == 50


def test_hostile_encodings_are_4xx_and_counted(server: Server, data: Data) -> None:
    bomb = gzip.compress(b" " * (64 << 20), compresslevel=9)
    cases: list[tuple[str, bytes, int, str]] = [
        ("br", b"{}", 415, "not supported"),
        ("gzip, gzip", b"{}", 415, "not supported"),
        ("gzip", gzip.compress(_oip_body(data, 5))[:-9], 400, "ends before"),
        ("deflate", b"\x00garbage", 400, "cannot be decoded"),
        ("gzip", bomb, 413, "once decompressed"),
    ]
    for coding, body, status, needle in cases:
        for path, key in (("/v2/models/churn/infer", "error"), ("/invocations", "message")):
            answer = server.client.post(
                path,
                content=body,
                headers={"content-type": "application/json", "content-encoding": coding},
            )
            assert answer.status_code == status, (coding, path, answer.text)
            assert needle in answer.json()[key], (coding, answer.json())
    text = server.client.get("/metrics").text
    for status in (400, 413, 415):
        sent = 2 * sum(1 for case in cases if case[2] == status)
        counted = sum(
            metric(text, "shipyard_serving_requests_total", protocol=p, status=str(status))
            for p in ("oip", "mlflow")
        )
        assert counted == sent, status


def test_large_answers_are_compressed_when_asked(server: Server, data: Data) -> None:
    body = _oip_body(data, 100)
    for coding, unpack in (("gzip", gzip.decompress), ("deflate", zlib.decompress)):
        headers, content = _raw(server, body, {"accept-encoding": coding})
        assert headers["content-encoding"] == coding
        assert headers["vary"] == "accept-encoding"
        assert orjson.loads(unpack(content))["outputs"][0]["shape"] == [100, 2]
    headers, _ = _raw(server, body, {"accept-encoding": "identity"})
    assert "content-encoding" not in headers
    headers, _ = _raw(server, _oip_body(data, 1), {"accept-encoding": "gzip"})
    assert "content-encoding" not in headers


def _raw(
    server: Server, body: bytes, headers: dict[str, str]
) -> tuple[http.client.HTTPMessage, bytes]:
    """The answer's headers and body as sent (http.client decodes nothing)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request(
            "POST", "/v2/models/churn/infer", body=body,
            headers={"content-type": "application/json", **headers},
        )  # fmt: skip
        response = connection.getresponse()
        return response.headers, response.read()
    finally:
        connection.close()
