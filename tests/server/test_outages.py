"""What a client sees when the database or the object store goes away, and comes back.

A real ``shipyard server`` reaches PostgreSQL and moto's S3 through TCP relays
the test controls. Cutting a relay drops every open connection and answers new
ones by closing them, as a crashed or restarting service does. While one is
down the server answers 503 in one line (never a 500), and the client's keyed
write retries until it is back, then lands exactly once (docs/deploy.md, "When a
dependency is down").
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import blake3
import httpx
import pytest

import shipyard
from shipyard.context import Context
from shipyard.core.settings import build_settings
from tests.conftest import _new_postgres_database
from tests.serverkit import PROJECT, make_team, start_server, stop_server

pytestmark = pytest.mark.slow


class Relay:
    """Forwards 127.0.0.1:port to a target; ``cut()`` drops and refuses, ``mend()`` heals."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.refused = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.up.clear()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def mend(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            if not self.up.is_set():
                self.refused += 1
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._open.difference_update((source, sink))


def _wait(condition: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


class Outages:
    def __init__(self, url: str, token: str, database: Relay, s3: Relay, s3_url: str) -> None:
        self.url, self.token, self.database, self.s3, self.s3_url = url, token, database, s3, s3_url

    def context(self) -> Context:
        flags = {"store.uri": self.url, "client.token": self.token, "project.name": PROJECT}
        return Context(build_settings(env={}, flags=flags))


@pytest.fixture
def outages(tmp_path: Path, s3_bucket: str, s3_endpoint: str) -> Iterator[Outages]:
    from shipyard.store.db import Database
    from shipyard.store.migrate import upgrade

    s3_port = int(s3_endpoint.rsplit(":", 1)[1])
    with _new_postgres_database() as url:
        database = Database(url)
        upgrade(database)
        team = make_team(database)
        database.dispose()
        db_relay, s3_relay = Relay(("127.0.0.1", 5432)), Relay(("127.0.0.1", s3_port))
        relayed_db = url.replace("127.0.0.1:5432", f"127.0.0.1:{db_relay.port}")
        assert relayed_db != url
        relayed_s3 = f"http://127.0.0.1:{s3_relay.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
        env["SHIPYARD_OBJECTS_S3_ENDPOINT_URL"] = relayed_s3
        store = f"s3://{s3_bucket}/shipyard"
        process, server = start_server(
            ["--db", relayed_db, "--store", store], env, tmp_path / "server.log"
        )
        try:
            yield Outages(server, team.tokens["contributor"], db_relay, s3_relay, relayed_s3)
        finally:
            db_relay.mend()
            s3_relay.mend()
            stop_server(process)
            db_relay.close()
            s3_relay.close()


def _one_line_503(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    message = answer.json()["error"]["message"]
    assert "\n" not in message
    assert "Traceback" not in answer.text


def test_a_write_waits_out_a_database_outage_and_lands_once(outages: Outages) -> None:
    headers = {"Authorization": f"Bearer {outages.token}"}
    outages.database.cut()
    _one_line_503(httpx.get(f"{outages.url}/health", timeout=30))
    _one_line_503(httpx.get(f"{outages.url}/api/v1/projects/{PROJECT}/runs", headers=headers,
                            timeout=30))  # fmt: skip
    refused = outages.database.refused
    done: list[str] = []
    name = f"through-an-outage-{uuid.uuid4().hex[:6]}"

    def write() -> None:
        ctx = outages.context()
        try:
            with shipyard.start_run(name=name, context=ctx) as run:
                run.log_metric("m", 1.0)
            done.append(run.id)
        finally:
            ctx.close()

    writer = threading.Thread(target=write)
    writer.start()
    _wait(lambda: outages.database.refused > refused + 1, "the server to try the database")
    assert not done  # still waiting: nothing could be stored
    outages.database.mend()
    writer.join(timeout=180)
    assert done, "the write did not complete once the database was back"
    assert httpx.get(f"{outages.url}/health", timeout=30).status_code == 200
    ctx = outages.context()
    try:
        found = shipyard.search_runs(filter=f"name = '{name}'", context=ctx)
    finally:
        ctx.close()
    assert list(found["run_id"]) == done  # once, not once per try


def test_an_upload_waits_out_an_object_store_outage(outages: Outages, tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {outages.token}"}
    outages.s3.cut()
    assert httpx.get(f"{outages.url}/health", timeout=30).status_code == 200  # the database
    blob = os.urandom(4096)
    digest = blake3.blake3(blob).hexdigest()
    put = httpx.put(f"{outages.url}/api/v1/projects/{PROJECT}/objects/{digest}", content=blob,
                    headers=headers, timeout=60)  # fmt: skip
    _one_line_503(put)
    ctx = outages.context()
    note = tmp_path / "note.txt"
    note.write_bytes(blob)
    done: list[str] = []

    def upload() -> None:
        with shipyard.start_run(name="artifact-through-an-outage", context=ctx) as run:
            run.log_artifact(note)
        done.append(run.id)

    refused = outages.s3.refused
    uploader = threading.Thread(target=upload)
    uploader.start()
    try:
        _wait(lambda: outages.s3.refused > refused, "the server to try the object store")
        assert not done
        outages.s3.mend()
        uploader.join(timeout=180)
        assert done, "the upload did not complete once the object store was back"
        shipyard.runs.download_artifacts(done[0], tmp_path / "got", context=ctx)
        assert (tmp_path / "got" / "note.txt").read_bytes() == blob
    finally:
        outages.s3.mend()
        uploader.join(timeout=180)
        ctx.close()
