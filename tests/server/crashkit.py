"""Tools to kill a server worker at a chosen point of a request, for real.

No hook in the server: a test holds the database's write lock so a request
stops inside its transaction, finds the worker holding that request's
connection through ``/proc``, and sends it SIGKILL; or it puts a proxy
between client and server that kills the worker when its answer starts to
come back (the answer leaves only after the commit) and never passes it on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from shipyard.store.db import Database

__all__ = [
    "AnswerDropper",
    "kill_worker_serving",
    "wait_for_lock_waiter",
    "worker_pids",
    "writes_held",
]


def worker_pids(server_pid: int) -> list[int]:
    """Worker processes of ``shipyard server --workers N`` (multiprocessing children)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == server_pid and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return sorted(found)


def _socket_inodes(server_port: int, peer_port: int) -> set[str]:
    """Inodes of the server-side sockets of the connection from ``peer_port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        local, remote, inode = parts[1], parts[2], parts[9]
        if (
            int(local.rsplit(":", 1)[1], 16) == server_port
            and int(remote.rsplit(":", 1)[1], 16) == peer_port
        ):
            inodes.add(f"socket:[{inode}]")
    return inodes


def kill_worker_serving(server_pid: int, server_port: int, peer_port: int) -> int:
    """SIGKILL the worker that holds the connection from ``peer_port``; its pid."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        inodes = _socket_inodes(server_port, peer_port)
        for pid in worker_pids(server_pid):
            try:
                links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
            except OSError:
                continue
            if links & inodes:
                os.kill(pid, signal.SIGKILL)
                return pid
        time.sleep(0.05)  # the worker has not accepted the connection yet
    raise AssertionError(f"no worker holds the connection from port {peer_port}")


@contextmanager
def writes_held(database: Database, run_id: str) -> Iterator[None]:
    """Make a batch logged to ``run_id`` stop inside its transaction: SQLite's write lock
    (it waits before its first write), or on PostgreSQL the lock of the run's latest
    ``loss`` row, which a batch updates after it has inserted its values (so it waits
    with part of its work done). The row must exist: log one ``loss`` value first."""
    if database.dialect == "sqlite":
        conn = sqlite3.connect(str(database.url.database), timeout=60, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT 1 FROM run_latest_metrics WHERE run_id = %s AND key = 'loss' FOR UPDATE",
            (run_id,),
        ).fetchone()
        assert row is not None, "log a loss value to the run first"
        try:
            yield
        finally:
            conn.rollback()


def wait_for_lock_waiter(database: Database) -> None:
    """PostgreSQL: return once a server transaction waits for the lock ``writes_held``
    took (so the request is inside its transaction). SQLite shows no such thing."""
    if database.dialect == "sqlite":
        return
    url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    deadline = time.monotonic() + 60
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(0.05)
    raise AssertionError("no server transaction came to wait for the held lock")


class AnswerDropper:
    """A one-connection TCP proxy: forwards the request; when the server's answer begins
    (so the write has committed) it kills that worker and closes the client's connection
    without passing on a byte."""

    def __init__(self, server_pid: int, server_port: int) -> None:
        self.server_pid, self.server_port = server_pid, server_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.killed: int | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        client, _ = self.listener.accept()
        upstream = socket.create_connection(("127.0.0.1", self.server_port))
        peer_port = upstream.getsockname()[1]

        def forward() -> None:
            try:
                while data := client.recv(65536):
                    upstream.sendall(data)
            except OSError:
                pass

        threading.Thread(target=forward, daemon=True).start()
        first = upstream.recv(1)  # the answer starts: the transaction has committed
        if first:
            self.killed = kill_worker_serving(self.server_pid, self.server_port, peer_port)
        for sock in (client, upstream):  # shutdown first: the forwarding thread blocks in recv
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._thread.join(timeout=60)
        self.listener.close()
