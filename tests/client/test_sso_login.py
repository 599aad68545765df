"""``shipyard login --sso``: the device flow against a real OpenID provider and server.

The CLI runs as a process against a live server; the test reads the link it prints
and plays the user at the provider, then checks the token the CLI saved.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shipyard.context import Context
from shipyard.server.app import create_app
from shipyard.store.db import Database
from tests.auth.oidckit import (
    CLIENT_SECRET,
    SECRET_ENV,
    Provider,
)
from tests.serverkit import free_port, running, server_context

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
SHIPYARD = str(Path(sys.executable).parent / "shipyard")


@pytest.fixture
def server_url(
    database: Database, tmp_path: Path, oidc_provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    ctx = server_context(database, objects=tmp_path / "objects")
    ctx = Context(dataclasses.replace(ctx.settings, oidc=oidc_provider.config()))
    with running(create_app(ctx)) as port:
        yield f"http://127.0.0.1:{port}"


def _login(url: str, home: Path) -> subprocess.Popen[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CONFIG_HOME": str(home / "cfg"),
           "COLUMNS": "400", "NO_COLOR": "1"}  # fmt: skip
    return subprocess.Popen([SHIPYARD, "login", "--sso", url], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def _link(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.match(r"Open (\S+)", first)
    assert match, first + (process.stderr.read() if process.stderr else "")
    return match.group(1)


def _saved_token(home: Path) -> str:
    text = (home / "cfg" / "shipyard" / "credentials.toml").read_text()
    match = re.search(r'token = "(shy_[^"]+)"', text)
    assert match, text
    return match.group(1)


def test_a_device_sign_in_saves_a_session_token_with_the_roles_of_the_groups(
    server_url: str, oidc_provider: Provider, tmp_path: Path
) -> None:
    process = _login(server_url, tmp_path)
    with httpx.Client() as browser:
        page = oidc_provider.confirm_device(browser, _link(process), "carol")
    assert "Sign-in Success" in page
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "logged in to" in out
    assert "as carol" in out
    token = _saved_token(tmp_path)
    assert ((tmp_path / "cfg" / "shipyard" / "credentials.toml").stat().st_mode & 0o777) == 0o600
    me = httpx.get(f"{server_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["roles"] == {"churn": "maintainer", "fraud": "viewer"}


def test_groups_without_a_role_exit_non_zero_with_one_line(
    server_url: str, oidc_provider: Provider, tmp_path: Path
) -> None:
    process = _login(server_url, tmp_path)
    with httpx.Client() as browser:
        oidc_provider.confirm_device(browser, _link(process), "dave")
    _out, err = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "give no role in any Shipyard project" in err
    assert "Traceback" not in err
    assert not (tmp_path / "cfg" / "shipyard" / "credentials.toml").exists()


def test_a_provider_that_is_down_or_no_sso_exits_non_zero_at_once(
    database: Database, tmp_path: Path, oidc_provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    ctx = server_context(database, objects=tmp_path / "objects")
    down = oidc_provider.config(issuer=f"http://127.0.0.1:{free_port()}")
    for oidc, message in [(down, "is unreachable or failing"), (None, "not configured")]:
        server = Context(dataclasses.replace(ctx.settings, oidc=oidc))
        with running(create_app(server)) as port:
            process = _login(f"http://127.0.0.1:{port}", tmp_path)
            _out, err = process.communicate(timeout=60)
        assert process.returncode != 0
        assert message in err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) <= 2  # the error and its hint
