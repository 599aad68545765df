"""``shipyard import`` against a running team server, as its admin and as others."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.projects_io.conftest import Cli, members, rebuild
from tests.serverkit import Team, fresh_database, make_team, running, server_context


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Team, Database]]:
    """A team server on PostgreSQL and a folder of objects, on a real port."""
    with fresh_database("postgresql", tmp_path) as db:
        team = make_team(db)
        ctx = server_context(db, objects=tmp_path / "server-objects")
        with running(create_app(ctx)) as port:
            yield f"http://127.0.0.1:{port}", team, db
        ctx.close()


def test_an_admin_imports_over_http_and_the_team_sees_it(
    cli: Cli,
    archive: Path,
    server: tuple[str, Team, Database],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, team, _db = server
    before = json.loads(cli("models", "alias", "history", "churn", "--json").stdout)
    runs_before = json.loads(cli("runs", "ls", "--json").stdout)["runs"]
    monkeypatch.setenv("SHIPYARD_TOKEN", team.tokens["root"])
    imported = cli("--uri", url, "import", str(archive), "--json")
    assert imported.exit_code == 0, imported.output
    answer = json.loads(imported.stdout)
    assert answer["project"] == "demo"
    assert answer["objects_stored"] > 0
    assert not answer["already_imported"]
    again = cli("--uri", url, "import", str(archive), "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["already_imported"] is True
    assert json.loads(again.stdout)["objects_stored"] == 0
    as_team = ("--uri", url, "--project", "demo")
    history = cli(*as_team, "models", "alias", "history", "churn", "--json")
    assert history.exit_code == 0, history.output
    assert json.loads(history.stdout) == before
    runs = json.loads(cli(*as_team, "runs", "ls", "--json").stdout)["runs"]
    assert runs == runs_before
    parent = next(r["id"] for r in runs if r["name"] == "parent")
    out = archive.parent / "over-http"
    got = cli(*as_team, "runs", "download", parent, "-d", str(out))
    assert got.exit_code == 0, got.output
    assert (out / "notes.txt").read_text() == "trained on the full set\n"


@pytest.mark.parametrize("who", ["maintainer", "capped-admin"])
def test_only_admins_import(
    cli: Cli,
    archive: Path,
    server: tuple[str, Team, Database],
    monkeypatch: pytest.MonkeyPatch,
    who: str,
) -> None:
    url, team, _db = server
    monkeypatch.setenv("SHIPYARD_TOKEN", team.tokens[who])
    refused = cli("--uri", url, "import", str(archive))
    assert refused.exit_code == 2, refused.output
    assert "may not" in refused.stderr


def test_the_server_checks_what_it_is_sent(
    cli: Cli,
    archive: Path,
    server: tuple[str, Team, Database],
) -> None:
    """A client that skips its own checks gets the server's: the same one line."""
    import httpx

    url, team, _db = server
    content = members(archive)
    forged = rebuild(archive, archive.with_name("forged.tar"), content)
    raw = bytearray(forged.read_bytes())
    spot = raw.index(b'"demo"')
    raw[spot + 1] = ord("x")  # a row of another project, the manifest now wrong
    answer = httpx.post(
        f"{url}/api/v1/project-imports",
        content=bytes(raw),
        headers={**team.headers("root"), "Content-Type": "application/octet-stream"},
    )
    assert answer.status_code == 400, answer.text
    assert "does not match its digest" in answer.json()["error"]["message"]
