"""A server worker killed with SIGKILL in the middle of a write loses nothing and doubles nothing.

A real ``shipyard server --workers 2`` on SQLite and on PostgreSQL. Each test
sends a batch of 200 metric values with an ``Idempotency-Key``, kills the
worker answering it at a chosen point, sends the same request again as the
client does, and checks that the run holds every value exactly once and that
no claim is left behind.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shipyard.server.tables import IdempotencyRow
from shipyard.store.db import Database
from shipyard.tracking.queries import metric_history
from tests.server.crashkit import (
    AnswerDropper,
    kill_worker_serving,
    wait_for_lock_waiter,
    worker_pids,
    writes_held,
)
from tests.serverkit import PROJECT, Team, fresh_database, make_team, start_server, stop_server

pytestmark = pytest.mark.slow
POINTS = 200


class Server:
    def __init__(self, process: Any, url: str, database: Database, team: Team) -> None:
        self.process, self.url, self.database, self.team = process, url, database, team
        self.port = int(url.rsplit(":", 1)[1])

    def headers(self, key: str) -> dict[str, str]:
        return {**self.team.headers("contributor"), "Idempotency-Key": key,
                "Content-Type": "application/json"}  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("crash")
    with fresh_database(request.param, folder) as database:
        team = make_team(database)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
        uri = database.url.render_as_string(hide_password=False)
        args = ["--db", uri, "--store", str(folder / "objects"), "--workers", "2"]
        process, url = start_server(args, env, folder / "server.log")
        try:
            yield Server(process, url, database, team)
        finally:
            stop_server(process)


EARLIER_STEP = 1_000
"""Each run gets one ``loss`` value before the test's batch (``writes_held`` locks its row)."""
EXPECTED = [*range(POINTS), EARLIER_STEP]


def _new_run(server: Server) -> str:
    body = {"experiment": "crash", "name": f"r-{uuid.uuid4().hex[:6]}", "tags": {}}
    answer = httpx.post(f"{server.url}/api/v1/projects/{PROJECT}/runs", json=body,
                        headers=server.headers(uuid.uuid4().hex), timeout=30)  # fmt: skip
    assert answer.status_code == 201, answer.text
    run_id = str(answer.json()["id"])
    assert _send(server, _batch(run_id, [EARLIER_STEP]), uuid.uuid4().hex).status_code == 204
    return run_id


def _batch(run_id: str, steps: list[int] | None = None) -> bytes:
    metrics = [[run_id, "loss", 1.0 / (step + 1), step, 1_700_000_000_000 + step]
               for step in (range(POINTS) if steps is None else steps)]  # fmt: skip
    return json.dumps({"metrics": metrics, "params": [], "tags": [], "writer": None}).encode()


def _send(server: Server, body: bytes, key: str) -> httpx.Response:
    """Send as the client does: again on a dropped connection or a 5xx, same key."""
    for _ in range(60):
        try:
            answer = httpx.post(f"{server.url}/api/v1/runs/log", content=body,
                                headers=server.headers(key), timeout=60)  # fmt: skip
        except httpx.TransportError:
            continue
        if answer.status_code < 500:
            return answer
    raise AssertionError("the server did not answer the retried request")


def _points(server: Server, run_id: str) -> list[int]:
    with server.database.read() as session:
        return sorted(p.step for p in metric_history(session, run_id, "loss"))


def _pending_claims(server: Server) -> int:
    with server.database.read() as session:
        query = (
            select(func.count()).select_from(IdempotencyRow).where(IdempotencyRow.status.is_(None))
        )
        return int(session.scalar(query) or 0)


def _open(server: Server, port: int, body: bytes, key: str) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/api/v1/runs/log", body=body, headers=server.headers(key))
    return conn


def test_a_worker_killed_inside_its_transaction_applied_nothing_and_the_retry_applies_once(
    server: Server,
) -> None:
    run_id = _new_run(server)
    body, key = _batch(run_id), uuid.uuid4().hex
    with writes_held(server.database, run_id):
        conn = _open(server, server.port, body, key)
        wait_for_lock_waiter(server.database)
        killed = kill_worker_serving(server.process.pid, server.port, conn.sock.getsockname()[1])
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            conn.getresponse()
        conn.close()
    assert killed not in worker_pids(server.process.pid)
    answer = _send(server, body, key)
    assert answer.status_code == 204, answer.text
    assert answer.headers.get("idempotent-replayed") is None  # the first try left nothing
    assert _points(server, run_id) == EXPECTED
    assert _pending_claims(server) == 0


def test_a_worker_killed_after_its_commit_is_answered_by_a_replay(server: Server) -> None:
    run_id = _new_run(server)
    body, key = _batch(run_id), uuid.uuid4().hex
    dropper = AnswerDropper(server.process.pid, server.port)
    conn = _open(server, dropper.port, body, key)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        conn.getresponse()
    conn.close()
    dropper.close()
    assert dropper.killed is not None  # the answer had started: the write had committed
    answer = _send(server, body, key)
    assert answer.status_code == 204, answer.text
    assert answer.headers.get("idempotent-replayed") == "true"
    assert _points(server, run_id) == EXPECTED
    assert _pending_claims(server) == 0


def test_two_copies_in_flight_apply_once_and_get_the_same_answer(server: Server) -> None:
    run_id = _new_run(server)
    body, key = _batch(run_id), uuid.uuid4().hex
    answers: list[httpx.Response] = []

    def send() -> None:
        answers.append(_send(server, body, key))

    with writes_held(server.database, run_id):
        senders = [threading.Thread(target=send) for _ in range(2)]
        for sender in senders:
            sender.start()
        wait_for_lock_waiter(server.database)
    for sender in senders:
        sender.join(timeout=120)
    assert [a.status_code for a in answers] == [204, 204]
    assert answers[0].content == answers[1].content
    assert _points(server, run_id) == EXPECTED
    assert _pending_claims(server) == 0
