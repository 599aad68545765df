"""The object routes of a team server: per-project access, checked uploads, ranges."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shipyard.client.http import ApiClient
from shipyard.core.digest import digest_of
from shipyard.core.errors import NotFound
from shipyard.objects.framing import encode_frames
from shipyard.objects.http_store import HttpObjectStore
from tests.serverkit import PROJECT, Team

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
CHURN = f"/api/v1/projects/{PROJECT}/objects"
FRAUD = "/api/v1/projects/fraud/objects"
MiB = 1024 * 1024


def _put(client: TestClient, team: Team, who: str, base: str, data: bytes) -> httpx.Response:
    return client.put(f"{base}/{digest_of(data).hex}", content=data, headers=team.headers(who))


def test_knowing_a_digest_is_not_enough_to_read_it(client: TestClient, team: Team) -> None:
    secret = b"fraud's training data " + os.urandom(16)
    digest = digest_of(secret).hex
    assert _put(client, team, "outsider", FRAUD, secret).status_code == 201
    contributor = team.headers("contributor")
    assert client.get(f"{CHURN}/{digest}", headers=contributor).status_code == 404
    # Asking what churn lacks does not reveal that the server holds it for fraud.
    answer = client.post(f"{CHURN}/missing", json={"digests": [digest]}, headers=contributor)
    assert answer.json()["missing"] == [digest]
    # Uploading the bytes proves possession: then churn holds it too.
    assert _put(client, team, "contributor", CHURN, secret).status_code == 201
    assert client.get(f"{CHURN}/{digest}", headers=team.headers("viewer")).content == secret


def test_bytes_that_do_not_match_their_name_are_refused(client: TestClient, team: Team) -> None:
    headers = team.headers("contributor")
    wrong = client.put(f"{CHURN}/{'a' * 64}", content=b"not that", headers=headers)
    assert wrong.status_code == 400
    assert "nothing was stored" in wrong.json()["error"]["message"]
    good, bad = b"good object", b"bad object"
    frames = encode_frames([(digest_of(good), good), (digest_of(b"other"), bad)])
    batch = client.post(f"{CHURN}/upload", content=frames, headers=headers)
    assert batch.status_code == 400
    asked = client.post(f"{CHURN}/missing", json={"digests": [digest_of(good).hex]},
                        headers=headers)  # fmt: skip
    assert asked.json()["missing"] == [digest_of(good).hex]  # nothing of the batch was kept
    truncated = client.post(f"{CHURN}/upload", content=frames[:-3], headers=headers)
    assert truncated.status_code == 400
    assert "ends inside" in truncated.json()["error"]["message"]


def test_a_manifest_must_really_make_up_its_object(client: TestClient, team: Team) -> None:
    headers = team.headers("contributor")
    data = os.urandom(5000)
    parts = [data[:2000], data[2000:]]
    for part in parts:
        assert _put(client, team, "contributor", CHURN, part).status_code == 201
    chunks = [[digest_of(p).hex, len(p)] for p in parts]
    swapped = client.put(f"{CHURN}/{digest_of(data).hex}/manifest",
                         json={"chunks": chunks[::-1]}, headers=headers)  # fmt: skip
    assert swapped.status_code == 400
    assert "do not make up" in swapped.json()["error"]["message"]
    unheld = [[digest_of(b"nobody uploaded this").hex, 20]]
    missing = client.put(f"{CHURN}/{digest_of(data).hex}/manifest", json={"chunks": unheld},
                         headers=headers)  # fmt: skip
    assert missing.status_code == 404
    made = client.put(f"{CHURN}/{digest_of(data).hex}/manifest", json={"chunks": chunks},
                      headers=headers)  # fmt: skip
    assert made.status_code == 201
    assert client.get(f"{CHURN}/{digest_of(data).hex}", headers=headers).content == data


def test_ranges_of_blobs_and_of_chunked_objects(client: TestClient, team: Team) -> None:
    headers = team.headers("contributor")
    data = os.urandom(10 * MiB)  # stored by the server as chunks
    assert _put(client, team, "contributor", CHURN, data).status_code == 201
    path = f"{CHURN}/{digest_of(data).hex}"
    start = 4 * MiB - 10  # across a chunk boundary, whatever the cut points
    part = client.get(path, headers={**headers, "Range": f"bytes={start}-{start + 2 * MiB}"})
    assert part.status_code == 206
    assert part.content == data[start : start + 2 * MiB + 1]
    assert part.headers["content-range"] == f"bytes {start}-{start + 2 * MiB}/{len(data)}"
    tail = client.get(path, headers={**headers, "Range": f"bytes={len(data) - 5}-"})
    assert tail.content == data[-5:]
    beyond = client.get(path, headers={**headers, "Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    backwards = client.get(path, headers={**headers, "Range": "bytes=5-1"})
    assert backwards.status_code == 416  # invalid (RFC 9110, 14.1.1)
    assert backwards.headers["content-range"] == f"bytes */{len(data)}"
    multi = client.get(path, headers={**headers, "Range": "bytes=0-1,5-6"})
    assert (multi.status_code, len(multi.content)) == (200, len(data))  # ignored


class _CutOnce(httpx.BaseTransport):
    """Real HTTP, but the first object download loses its connection after 1 MiB."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.cut = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.cut and request.method == "GET" and "/objects/" in request.url.path:
            self.cut = False
            response.stream = _Truncated(response.stream)  # type: ignore[arg-type]
        return response

    def close(self) -> None:
        self.inner.close()


class _Truncated(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self.inner = inner

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for piece in self.inner:
            yield piece
            sent += len(piece)
            if sent >= MiB:
                raise httpx.ReadError("connection reset by peer")

    def close(self) -> None:
        self.inner.close()


def test_a_dropped_download_resumes_where_it_stopped(
    server_app: FastAPI,
    live_server,
    team: Team,  # type: ignore[no-untyped-def]
) -> None:
    url = f"http://127.0.0.1:{live_server(server_app)}"
    data = os.urandom(6 * MiB)
    transport = _CutOnce()
    with ApiClient(url, team.tokens["contributor"], transport=transport) as api:
        store = HttpObjectStore(api, PROJECT)
        ref = store.put_bytes(data)
        before = api.requests
        assert store.read_bytes(ref.digest) == data
        assert not transport.cut
        assert api.requests - before == 2  # the first GET, then one ranged GET for the rest
        small = [store.put_bytes(f"small {i}".encode()) for i in range(3)]
        got = dict(store.download_batch([r.digest for r in small]))
        assert got == {r.digest: f"small {i}".encode() for i, r in enumerate(small)}
        with pytest.raises(NotFound):
            list(store.download_batch([digest_of(b"never uploaded")]))
