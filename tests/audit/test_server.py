"""The team server checkpoints its audit log from its lifespan, and ``audit verify`` over
HTTP (route, remote client, CLI in remote mode) checks against those checkpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import Result

from shipyard.audit.report import AuditReport
from shipyard.auth.remote import RemoteAuth
from shipyard.client.http import ApiClient
from shipyard.context import Context
from shipyard.core.errors import ConfigError
from shipyard.core.principal import LOCAL_OWNER
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.audit.kit import delete, new_key, rewrite_head, seqs
from tests.serverkit import Team, make_team, server_context

Cli = Callable[..., Result]


@pytest.fixture
def checkpointing(database: Database, tmp_path: Path) -> Iterator[tuple[FastAPI, Context, Team]]:
    """A server app whose workers sign checkpoints with a key outside the database."""
    team = make_team(database)
    ctx = server_context(
        database, objects=tmp_path / "server-objects",
        **{"audit.checkpoint_key": str(new_key(tmp_path)), "audit.checkpoint_interval": "1h"},
    )  # fmt: skip
    yield create_app(ctx), ctx, team
    ctx.close()


def test_the_server_checkpoints_at_start_and_verify_uses_it(
    checkpointing: tuple[FastAPI, Context, Team],
) -> None:
    app, ctx, team = checkpointing
    root = team.headers("root")
    with TestClient(app, raise_server_exceptions=False) as client:
        schedule = app.state.audit_checkpoints
        assert schedule.ticked.wait(30)  # the first tick runs at start-up, in its thread
        assert schedule.last is not None
        assert schedule.last.written is not None
        answer = client.get("/api/v1/audit/verify", headers=root).json()
        assert answer["intact"] is True, answer
        assert answer["checkpoints"] == 1
        assert answer["checkpoint"]["seq"] == schedule.last.written.checkpoint.seq
        assert answer["warnings"] == []
        delete(ctx.db, *seqs(ctx.db)[-2:])
        rewrite_head(ctx.db)
        broken = client.get("/api/v1/audit/verify", headers=root).json()
        assert broken["intact"] is False
        assert "this entry is gone" in broken["breaks"][0]["problem"]
        assert client.get("/api/v1/audit/verify", headers=team.headers("viewer")).status_code == 403
    assert not schedule._thread.is_alive()  # stopped with the app


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_remote_clients_get_the_servers_report(
    checkpointing: tuple[FastAPI, Context, Team],
    live_server: Callable[..., int],
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, _ctx, team = checkpointing
    url = f"http://127.0.0.1:{live_server(app)}"
    assert app.state.audit_checkpoints.ticked.wait(30)
    with ApiClient(url, team.tokens["root"]) as api:
        report = RemoteAuth(api).verify_audit(LOCAL_OWNER)
    assert isinstance(report, AuditReport)
    assert report.intact
    assert report.checkpoint is not None
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHIPYARD_TOKEN", team.tokens["root"])
    verified = cli("--uri", url, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "checked against 1 signed checkpoint(s)" in verified.stdout
    refused = cli("--uri", url, "audit", "checkpoint")
    assert refused.exit_code == 2
    assert "the team server writes them itself" in refused.stderr
    folder = cli("--uri", url, "audit", "verify", "--checkpoints", str(tmp_path))
    assert folder.exit_code == 2


def test_a_server_with_a_bad_key_does_not_start(database: Database, tmp_path: Path) -> None:
    ctx = server_context(
        database, objects=tmp_path / "objects", **{"audit.checkpoint_key": str(tmp_path / "no")}
    )
    try:
        with (
            pytest.raises(ConfigError, match=r"audit\.checkpoint_key: cannot read key file"),
            TestClient(create_app(ctx)),
        ):
            pass
    finally:
        ctx.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_shipyard_server_refuses_a_bad_key_in_one_line(
    cli: Cli, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHIPYARD_AUDIT_CHECKPOINT_KEY", str(tmp_path / "missing.pem"))
    uri = database.url.render_as_string(hide_password=False)
    result = cli("server", "--db", uri, "--store", str(tmp_path / "objects"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: audit.checkpoint_key: cannot read key file")
    assert len(result.stderr.strip().splitlines()) == 1
