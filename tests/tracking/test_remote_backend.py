"""Remote tracking when the network fails: nothing lost, nothing written twice."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from shipyard.client.http import ApiClient
from shipyard.context import Context
from shipyard.core.errors import Unavailable
from shipyard.core.settings import build_settings
from shipyard.tracking.entities import LogBatch, Resources, RunSpec, RunStatus, Writer
from shipyard.tracking.remote_backend import RemoteTrackingBackend
from tests.serverkit import PROJECT, Team

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
WRITER = Writer("laptop", 4242)


class LoseAnswers(httpx.BaseTransport):
    """Real HTTP, but the answers to the next ``lose`` batch requests never arrive:
    the server did the work, the client sees a broken connection."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = 0
        self.refuse = False
        self.keys: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/runs/log"):
            self.keys.append(request.headers["idempotency-key"])
            if self.refuse:
                raise httpx.ConnectError("connection refused")
            if self.lose:
                self.lose -= 1
                self.inner.handle_request(request).close()
                raise httpx.ReadError("connection reset by peer")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def remote(server_app: FastAPI, live_server, team: Team):  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{live_server(server_app)}"
    transport = LoseAnswers()
    client = ApiClient(url, team.tokens["contributor"], transport=transport, retries=2,
                       backoff=0.01)  # fmt: skip
    ctx = Context(build_settings(env={}, flags={"store.uri": url, "project.name": PROJECT}))
    backend = RemoteTrackingBackend(ctx, client=client)
    yield backend, transport
    client.close()


def _points(backend: RemoteTrackingBackend, run_id: str) -> list[tuple[int, float]]:
    return [(p.step, p.value) for p in backend.metric_history(run_id, "loss")]


def _batch(run_id: str, steps: range) -> LogBatch:
    return LogBatch(metrics=[(run_id, "loss", float(s), s, 1000 + s) for s in steps])


def test_a_retried_batch_is_written_once(remote) -> None:  # type: ignore[no-untyped-def]
    backend, transport = remote
    run = backend.create_run(RunSpec("faults", "retry"))
    transport.lose = 1
    backend.log_batch(_batch(run.id, range(100)), WRITER)
    assert len(transport.keys) == 2  # two tries…
    assert len(set(transport.keys)) == 1  # …with one key
    assert _points(backend, run.id) == [(s, float(s)) for s in range(100)]


def test_a_batch_lost_beyond_the_retries_is_kept_and_sent_once(remote) -> None:  # type: ignore[no-untyped-def]
    backend, transport = remote
    run = backend.create_run(RunSpec("faults", "outbox"))
    transport.lose = 3  # every try of the first batch: it arrives, its answers do not
    backend.log_batch(_batch(run.id, range(0, 50)), WRITER)  # taken, not raised
    backend.log_batch(_batch(run.id, range(50, 60)), WRITER)  # sends the first again, then this
    first_key = transport.keys[0]
    assert transport.keys.count(first_key) == 4  # three lost tries, then the replay
    assert _points(backend, run.id) == [(s, float(s)) for s in range(60)]


def test_ending_waits_for_the_batches_before_it(remote) -> None:  # type: ignore[no-untyped-def]
    backend, transport = remote
    run = backend.create_run(RunSpec("faults", "end"))
    transport.refuse = True  # the server is unreachable for batches
    backend.log_batch(_batch(run.id, range(10)), WRITER)
    with pytest.raises(Unavailable):
        backend.end_run(run.id, RunStatus.FINISHED, Resources(), writer=WRITER)
    with pytest.raises(Unavailable):
        backend.get_run(run.id)  # reads wait for the kept batches too
    transport.refuse = False  # the server is back
    backend.end_run(run.id, RunStatus.FINISHED, Resources(), writer=WRITER)
    stored = backend.get_run(run.id).run
    assert stored.status is RunStatus.FINISHED
    assert _points(backend, run.id) == [(s, float(s)) for s in range(10)]
