"""Liveness (the process answers) and readiness (the metadata store answers too)."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import psycopg
from starlette.types import Receive, Scope, Send

from shipyard.server.admission import Admission
from shipyard.server.app import create_app
from shipyard.store.db import Database
from shipyard.store.migrate import upgrade
from tests.conftest import PG_ADMIN_URL, _new_postgres_database
from tests.serverkit import running, server_context


def test_liveness_answers_while_the_database_is_gone(tmp_path: Path) -> None:
    with _new_postgres_database() as url:
        db = Database(url)
        upgrade(db)
        db.dispose()
        ctx = server_context(db, objects=tmp_path / "objects")
        with running(create_app(ctx)) as port:
            base = f"http://127.0.0.1:{port}"
            assert httpx.get(f"{base}/health").status_code == 200
            name = url.rpartition("/")[2]
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

            live = httpx.get(f"{base}/health/live")
            ready = httpx.get(f"{base}/health")
        ctx.close()
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503
    assert ready.json()["error"]["type"] == "Unavailable"


def test_liveness_is_not_held_behind_busy_requests() -> None:
    """With every admission slot taken by a request stuck on the database, the probe answers."""
    release = anyio.Event()

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/stuck":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def probe() -> int:
        status = 0
        transport = httpx.ASGITransport(app=Admission(inner, limit=1))
        client = httpx.AsyncClient(transport=transport, base_url="http://t")
        async with client, anyio.create_task_group() as tasks:
            tasks.start_soon(client.get, "/stuck")
            await anyio.wait_all_tasks_blocked()
            with anyio.move_on_after(10):  # a safety net, not a measurement
                status = (await client.get("/health/live")).status_code
            release.set()
        return status

    assert anyio.run(probe) == 200
