"""The remote client against a real server on 127.0.0.1: errors, retries, idempotency."""

from __future__ import annotations

import itertools

import pytest
from fastapi import FastAPI, Request, Response

from shipyard.client.http import ApiClient
from shipyard.core import errors as e
from shipyard.core.settings import build_settings
from tests.serverkit import Team, free_port

sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def base_url(server_app: FastAPI, live_server) -> str:  # type: ignore[no-untyped-def]
    calls = itertools.count()

    @server_app.get("/flaky")
    def flaky() -> dict[str, int]:
        from fastapi import HTTPException

        if next(calls) < 2:
            raise HTTPException(503, "warming up")
        return {"ok": 1}

    return f"http://127.0.0.1:{live_server(server_app)}"


@sqlite_only
def test_the_server_errors_come_back_as_the_same_exceptions(base_url: str, team: Team) -> None:
    with ApiClient(base_url, team.tokens["viewer"]) as client:
        assert client.get("/api/v1/me")["name"] == "viewer"
        with pytest.raises(e.PermissionDenied, match="viewer may not list users"):
            client.get("/api/v1/users")
        with pytest.raises(e.NotFound):
            client.request("DELETE", "/api/v1/tokens/nope")
    with ApiClient(base_url, "shy_garbage") as client, pytest.raises(e.Unauthenticated):
        client.get("/api/v1/me")


@sqlite_only
def test_a_retried_write_happens_once(base_url: str, team: Team) -> None:
    with ApiClient(base_url, team.tokens["viewer"]) as client:
        headers = {"Idempotency-Key": "same-key"}
        first = client.request("POST", "/api/v1/tokens", json={"name": "a"}, headers=headers)
        again = client.request("POST", "/api/v1/tokens", json={"name": "a"}, headers=headers)
        assert first.json()["info"]["id"] == again.json()["info"]["id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert len(client.get("/api/v1/tokens")) == 2  # the fixture's token and this one


@sqlite_only
def test_transient_failures_are_retried(base_url: str, team: Team) -> None:
    with ApiClient(base_url, team.tokens["viewer"], backoff=0.01) as client:
        assert client.get("/flaky") == {"ok": 1}


def test_an_unreachable_server_is_unavailable_with_a_hint() -> None:
    client = ApiClient(f"http://127.0.0.1:{free_port()}", retries=1, backoff=0.01)
    with client, pytest.raises(e.Unavailable) as caught:
        client.get("/health")
    assert "cannot reach the Shipyard server" in caught.value.one_line()


class FakeClock:
    """Time that passes only when the client sleeps: retries cost no real waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_write_is_retried_until_the_deadline_then_fails_saying_how_long() -> None:
    clock = FakeClock()
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: every try is refused
    client = ApiClient(url, retry_deadline_s=60, clock=clock, sleep=clock.sleep)
    with client, pytest.raises(e.Unavailable) as caught:
        client.request("POST", "/api/v1/runs/log", json={})
    message = caught.value.one_line()
    assert "cannot reach the Shipyard server" in message
    assert f"gave up after {len(clock.sleeps) + 1} tries over 60 s" in message
    assert clock.now == pytest.approx(1060.0)  # the last try at the deadline, not before
    assert len(clock.sleeps) > 4  # far more than the reads' bounded count
    assert max(clock.sleeps) <= 5.0 * 1.5  # the back-off is capped (with its jitter)
    assert client.requests == len(clock.sleeps) + 1


def test_reads_keep_a_bounded_number_of_tries() -> None:
    clock = FakeClock()
    client = ApiClient(f"http://127.0.0.1:{free_port()}", retries=2, clock=clock,
                       sleep=clock.sleep, retry_deadline_s=3600)  # fmt: skip
    with client, pytest.raises(e.Unavailable, match="gave up after 3 tries"):
        client.get("/api/v1/me")
    assert client.requests == 3


def test_the_deadline_can_be_set_per_request_and_by_the_settings() -> None:
    clock = FakeClock()
    client = ApiClient(f"http://127.0.0.1:{free_port()}", clock=clock, sleep=clock.sleep)
    with client, pytest.raises(e.Unavailable):
        client.request("POST", "/x", json={}, deadline_s=0)
    assert client.requests == 1
    assert clock.sleeps == []
    settings = build_settings(env={"SHIPYARD_CLIENT_RETRY_DEADLINE_S": "7.5"})
    assert settings.client.retry_deadline_s == 7.5
    assert build_settings(env={}).client.retry_deadline_s == 120.0


@pytest.fixture
def busy_server(live_server) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """A stand-in server (not Shipyard's) that answers 409 with Retry-After twice, as a
    server does while another copy of the request is being answered; then 200."""
    keys: list[str] = []
    stub = FastAPI()

    @stub.post("/write")
    def write(request: Request) -> Response:
        keys.append(request.headers["idempotency-key"])
        if len(keys) <= 2:
            body = b'{"error": {"type": "Conflict", "message": "still being answered"}}'
            return Response(body, 409, {"Retry-After": "1"}, media_type="application/json")
        return Response(b'{"ok": 1}', media_type="application/json")

    return f"http://127.0.0.1:{live_server(stub)}", keys


def test_a_409_with_retry_after_is_retried_with_the_same_key(busy_server) -> None:  # type: ignore[no-untyped-def]
    url, keys = busy_server
    clock = FakeClock()
    with ApiClient(url, clock=clock, sleep=clock.sleep) as client:
        assert client.post("/write", {"a": 1}) == {"ok": 1}
    assert len(keys) == 3
    assert len(set(keys)) == 1
    assert all(pause >= 1.0 for pause in clock.sleeps)  # Retry-After is honoured


def test_a_409_without_retry_after_is_a_conflict_at_once(live_server) -> None:  # type: ignore[no-untyped-def]
    stub = FastAPI()

    @stub.post("/write")
    def write() -> Response:
        body = b'{"error": {"type": "Conflict", "message": "param C is 1"}}'
        return Response(body, 409, media_type="application/json")

    url = f"http://127.0.0.1:{live_server(stub)}"
    with ApiClient(url) as client, pytest.raises(e.Conflict, match="param C is 1"):
        client.post("/write", {})
    assert client.requests == 1


@pytest.fixture
def proxy_in_front(live_server) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """A stand-in for nginx whose replica died: two 502 pages (HTML, as nginx sends
    them), then the answer. Records each try's Idempotency-Key (or "-")."""
    tries: list[str] = []
    stub = FastAPI()
    page = b"<html><head><title>502 Bad Gateway</title></head></html>"

    @stub.api_route("/thing", methods=["GET", "POST"])
    def thing(request: Request) -> Response:
        tries.append(request.headers.get("idempotency-key", "-"))
        if len(tries) <= 2:
            return Response(page, 502, media_type="text/html")
        return Response(b'{"ok": 1}', media_type="application/json")

    return f"http://127.0.0.1:{live_server(stub)}", tries


def test_a_write_that_met_a_dead_replica_is_sent_again_with_its_key(proxy_in_front) -> None:  # type: ignore[no-untyped-def]
    url, tries = proxy_in_front
    clock = FakeClock()
    with ApiClient(url, clock=clock, sleep=clock.sleep) as client:
        assert client.post("/thing", {"x": 1}) == {"ok": 1}
    assert len(tries) == 3
    assert len(set(tries)) == 1  # one key, sent three times
    assert tries[0] != "-"


def test_a_download_is_retried_until_its_answer_starts(proxy_in_front) -> None:  # type: ignore[no-untyped-def]
    url, tries = proxy_in_front
    clock = FakeClock()
    client = ApiClient(url, clock=clock, sleep=clock.sleep)
    with client, client.stream("GET", "/thing") as answer:
        assert answer.read() == b'{"ok": 1}'
    assert len(tries) == 3


def test_a_download_gives_up_as_unavailable_after_its_tries(proxy_in_front) -> None:  # type: ignore[no-untyped-def]
    url, _tries = proxy_in_front
    clock = FakeClock()
    with ApiClient(url, retries=1, clock=clock, sleep=clock.sleep) as client:
        with pytest.raises(e.Unavailable, match="answered 502"), client.stream("GET", "/thing"):
            pass
        assert client.requests == 2


def test_an_untrusted_certificate_is_refused_at_once(live_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.certs import self_signed

    cert, key = self_signed(tmp_path)
    port = live_server(FastAPI(), ssl_certfile=str(cert), ssl_keyfile=str(key))
    clock = FakeClock()
    client = ApiClient(f"https://127.0.0.1:{port}", clock=clock, sleep=clock.sleep)
    with client, pytest.raises(e.Unavailable) as caught:
        client.request("POST", "/x", json={})  # a write: would be retried for minutes
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.message
    assert "SHIPYARD_CA_BUNDLE" in (caught.value.hint or "")
    assert client.requests == 1
    assert clock.sleeps == []
    with ApiClient(f"https://127.0.0.1:{port}", ca_bundle=str(cert)) as trusting:
        assert "openapi" in trusting.get("/openapi.json")  # the same server, trusted


def test_the_ca_bundle_has_a_short_variable_and_keeps_the_long_one() -> None:
    assert build_settings(env={"SHIPYARD_CA_BUNDLE": "/a.pem"}).client.ca_bundle == "/a.pem"
    documented = build_settings(env={"SHIPYARD_CLIENT_CA_BUNDLE": "/b.pem"})
    assert documented.client.ca_bundle == "/b.pem"
