"""A run never ends finished with values unconfirmed; ``runs sync`` stores them exactly once.

A real server on 127.0.0.1 (in a thread), reached through a transport that
can make the server unreachable for some requests or lose their answers; the
client's clock is injected, so its retries until the deadline cost no time.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shipyard.client.http import ApiClient
from shipyard.context import Context
from shipyard.core.errors import Unavailable
from shipyard.core.settings import build_settings
from shipyard.tracking.batching import BatchLogger
from shipyard.tracking.entities import RunSpec, RunStatus, Writer
from shipyard.tracking.remote_backend import RemoteTrackingBackend
from shipyard.tracking.run import ActiveRun
from shipyard.tracking.sync import sync_spool
from tests.serverkit import PROJECT, Team

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
WRITER = Writer("laptop", 4242)


class Outage(httpx.BaseTransport):
    """Real HTTP, unless the path is down: ``refuse`` (never reaches the server) or
    ``lose`` (the server does the work, its answer never comes back)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.refuse: tuple[str, ...] = ()
        self.lose: tuple[str, ...] = ()
        self.keys: dict[str, list[str]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        kind = "end" if path.endswith("/end") else "log" if path.endswith("/runs/log") else ""
        if kind:
            self.keys.setdefault(kind, []).append(request.headers["idempotency-key"])
        if kind in self.refuse:
            raise httpx.ConnectError("connection refused")
        if kind in self.lose:
            self.inner.handle_request(request).close()
            raise httpx.ReadError("connection reset by peer")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def server(server_app: FastAPI, live_server, team: Team, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no workspace: spool here
    url = f"http://127.0.0.1:{live_server(server_app)}"
    transport, clock = Outage(), FakeClock()
    client = ApiClient(url, team.tokens["contributor"], transport=transport,
                       retry_deadline_s=30, clock=clock, sleep=clock.sleep)  # fmt: skip
    ctx = Context(build_settings(env={}, flags={"store.uri": url, "project.name": PROJECT}))
    backend = RemoteTrackingBackend(ctx, client=client)
    yield backend, transport, clock
    client.close()


def _start(backend: RemoteTrackingBackend, clock: FakeClock, name: str) -> ActiveRun:
    logger = BatchLogger(backend, WRITER, deadline_s=30, clock=clock)
    spec = RunSpec("outage", name, host=WRITER.host, pid=WRITER.pid)  # as start_run does
    return ActiveRun(backend, logger, backend.create_run(spec))


def _log(run: ActiveRun, steps: range) -> None:
    for step in steps:
        run.log_metric("loss", float(step))


def _steps(backend: RemoteTrackingBackend, run_id: str) -> list[int]:
    return [p.step for p in backend.metric_history(run_id, "loss")]


def _spool(tmp_path: Path, run_id: str) -> Path:
    return tmp_path / "cache" / "shipyard" / "spool" / f"{run_id}.jsonl"


def test_unconfirmed_values_fail_the_run_go_to_a_spool_file_and_sync_stores_them_once(
    server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backend, transport, clock = server
    run = _start(backend, clock, "unreachable")
    _log(run, range(30))
    run.flush()  # 30 values stored
    transport.refuse = ("log",)  # batches cannot reach the server; its end route can
    _log(run, range(30, 100))
    with pytest.raises(Unavailable, match="gave up after"):
        run.flush()  # kept with its key
    _log(run, range(100, 105))  # the last values, which travel with the end
    run.end()

    assert run.status is RunStatus.FAILED
    stored = backend.get_run(run.id).run
    assert stored.status is RunStatus.FAILED  # the server answered: failed, never finished
    assert _steps(backend, run.id) == list(range(30))
    path = _spool(tmp_path, run.id)
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1
    assert f"run {run.id} ended as failed: 75 logged value(s) not confirmed" in warning[0]
    assert str(path) in warning[0]
    assert "shipyard runs sync" in warning[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [next(iter(line)) for line in lines] == ["spool", "batch", "end"]
    assert lines[1]["key"] == transport.keys["log"][-1]  # the key it was sent with
    assert lines[2]["end"] == lines[2]["end"] | {"status": "finished", "ended_as": "failed"}

    transport.refuse = ()  # the server is reachable again
    report = sync_spool(backend, backend.context, path)
    assert report.done
    assert report.ended is RunStatus.FINISHED
    assert report.stored == 75
    assert not path.exists()
    assert backend.get_run(run.id).run.status is RunStatus.FINISHED
    assert _steps(backend, run.id) == list(range(105))  # every value, once


def test_a_batch_that_did_arrive_is_not_stored_twice_by_sync(
    server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backend, transport, clock = server
    run = _start(backend, clock, "lost-answers")
    transport.lose = ("log",)  # the server stores each try; no answer comes back
    transport.refuse = ("end",)  # and the end never gets through
    _log(run, range(40))
    with pytest.raises(Unavailable):
        run.flush()
    run.end()

    assert run.status is RunStatus.FAILED
    assert backend.get_run(run.id).run.status is RunStatus.RUNNING  # not ended: never finished
    assert _steps(backend, run.id) == list(range(40))  # it did arrive
    warning = capsys.readouterr().err
    assert f"run {run.id} not ended: 40 logged value(s) not confirmed" in warning

    transport.lose = transport.refuse = ()
    sent = len(transport.keys["log"])
    report = sync_spool(backend, backend.context, _spool(tmp_path, run.id))
    assert report.ended is RunStatus.FINISHED
    assert transport.keys["log"][sent:] == transport.keys["log"][:1]  # replayed, same key
    assert _steps(backend, run.id) == list(range(40))  # the server replayed: stored once
    assert backend.get_run(run.id).run.status is RunStatus.FINISHED


def test_sync_keeps_the_file_while_the_server_is_unreachable(server, tmp_path: Path) -> None:
    backend, transport, clock = server
    run = _start(backend, clock, "still-down")
    transport.refuse = ("log", "end")
    _log(run, range(10))
    run.end()
    path = _spool(tmp_path, run.id)
    before = path.read_bytes()

    report = sync_spool(backend, backend.context, path)
    assert not report.done
    assert "unreachable" in report.kept
    assert path.read_bytes() == before  # nothing was stored, nothing is forgotten

    transport.refuse = ()
    assert sync_spool(backend, backend.context, path).ended is RunStatus.FINISHED
    assert _steps(backend, run.id) == list(range(10))


def test_sync_refuses_to_replay_with_another_token(server, tmp_path: Path, team: Team) -> None:
    backend, transport, clock = server
    run = _start(backend, clock, "token")
    transport.refuse = ("log", "end")
    _log(run, range(3))
    run.end()
    transport.refuse = ()
    other = ApiClient(backend.client.base_url, team.tokens["maintainer"])
    with other:
        elsewhere = RemoteTrackingBackend(backend.context, client=other)
        report = sync_spool(elsewhere, backend.context, _spool(tmp_path, run.id))
    assert "written with token" in report.skipped
    assert _spool(tmp_path, run.id).exists()
