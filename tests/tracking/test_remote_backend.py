"""Remote tracking when the network fails: nothing lost, nothing written twice."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from shipyard.client.http import ApiClient
from shipyard.context import Context
from shipyard.core.errors import Unavailable
from shipyard.core.settings import build_settings
from shipyard.tracking.batching import BatchLogger
from shipyard.tracking.entities import LogBatch, RunSpec, Writer
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


class FakeClock:
    """Time that passes only when the client sleeps between tries."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def remote(server_app: FastAPI, live_server, team: Team):  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{live_server(server_app)}"
    transport = LoseAnswers()
    clock = FakeClock()
    client = ApiClient(url, team.tokens["contributor"], transport=transport, retries=2,
                       retry_deadline_s=5, clock=clock, sleep=clock.sleep)  # fmt: skip
    ctx = Context(build_settings(env={}, flags={"store.uri": url, "project.name": PROJECT}))
    backend = RemoteTrackingBackend(ctx, client=client)
    yield backend, transport, clock
    client.close()


def _points(backend: RemoteTrackingBackend, run_id: str) -> list[tuple[int, float]]:
    return [(p.step, p.value) for p in backend.metric_history(run_id, "loss")]


def _batch(run_id: str, steps: range) -> LogBatch:
    return LogBatch(metrics=[(run_id, "loss", float(s), s, 1000 + s) for s in steps])


def test_a_retried_batch_is_written_once(remote) -> None:  # type: ignore[no-untyped-def]
    backend, transport, _clock = remote
    run = backend.create_run(RunSpec("faults", "retry"))
    transport.lose = 1
    backend.log_batch(_batch(run.id, range(100)), WRITER)
    assert len(transport.keys) == 2  # two tries…
    assert len(set(transport.keys)) == 1  # …with one key
    assert _points(backend, run.id) == [(s, float(s)) for s in range(100)]


def test_a_batch_lost_beyond_the_deadline_is_kept_and_sent_again_with_its_key(remote) -> None:  # type: ignore[no-untyped-def]
    backend, transport, clock = remote
    run = backend.create_run(RunSpec("faults", "kept"))
    logger = BatchLogger(backend, WRITER, deadline_s=5, clock=clock)
    transport.lose = 10_000  # every try arrives and is stored; no answer comes back
    logger.metrics([(run.id, "loss", float(s), s, 1000 + s) for s in range(50)])
    with pytest.raises(Unavailable, match="gave up after"):
        logger.flush()
    tries = len(transport.keys)
    assert tries > 2
    assert len(set(transport.keys)) == 1
    transport.lose = 0  # the network is back
    logger.metrics([(run.id, "loss", float(s), s, 1000 + s) for s in range(50, 60)])
    logger.flush()
    assert transport.keys[tries] == transport.keys[0]  # the kept batch first, same key
    assert len(transport.keys) == tries + 2
    assert len(set(transport.keys)) == 2
    assert _points(backend, run.id) == [(s, float(s)) for s in range(60)]  # each once


def test_batches_of_several_runs_are_sent_one_per_run(remote) -> None:  # type: ignore[no-untyped-def]
    backend, transport, clock = remote
    one, two = (backend.create_run(RunSpec("faults", name)) for name in ("one", "two"))
    logger = BatchLogger(backend, WRITER, clock=clock)
    logger.metrics([(run.id, "loss", 1.0, 0, 1000) for run in (one, two, one)])
    logger.flush()
    assert len(set(transport.keys)) == 2  # a run's batch can be kept or spooled on its own
    assert _points(backend, one.id) == [(0, 1.0), (0, 1.0)]
    assert _points(backend, two.id) == [(0, 1.0)]
