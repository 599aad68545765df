"""The two ways to run the SDK, as one fixture: embedded, and against a team server.

``mode`` gives each test a :class:`Mode`: a context for the SDK and the CLI
(``context=mode.context``, or ``mode.cli(...)``), an admin's context, the
project's object store and a remote to push to. Embedded: a fresh workspace
(SQLite, local objects) acting as its local owner. Server: the session's
``shipyard server`` (PostgreSQL, moto S3, two worker processes) reached over
HTTP as the ``contributor`` persona, with a workspace of its own for local
files. A test written against ``Mode`` runs in both and must see the same.

To add your domain's operations: take ``mode`` in a test under
``tests/contracts/``, call your SDK with ``context=mode.context`` (or
``mode.cli(...)``), and use fresh names (``mode.unique("exp")``), since the
server is shared by the whole session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.context import Context, open_context
from shipyard.core.principal import LOCAL_OWNER
from shipyard.objects.http_store import HttpObjectStore
from shipyard.objects.open import open_remote
from shipyard.objects.store import ObjectStore
from shipyard.tracking.session import sdk
from shipyard.workspace.create import init_workspace
from tests.conftest import git_init
from tests.serverkit import PROJECT, TeamServer

Cli = Callable[..., Result]


@dataclass
class Mode:
    name: str
    """``embedded`` or ``server``."""
    context: Context
    """What the SDK gets: a data scientist's (the local owner; or a contributor on the server)."""
    admin: Context
    """An admin's context (the same as ``context`` when embedded)."""
    root: Path
    """A workspace folder (the current folder) for files the test makes."""
    cli: Cli
    """``shipyard ARGS…`` in-process, as ``context`` (env: SHIPYARD_URI/TOKEN/PROJECT)."""
    server: TeamServer | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def remote(self) -> bool:
        return self.server is not None

    @property
    def project(self) -> str:
        return self.context.project

    def unique(self, prefix: str) -> str:
        """A name no other test on the shared server uses."""
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    @property
    def objects(self) -> ObjectStore | HttpObjectStore:
        """Where the project's objects live: the workspace's store, or the server's."""
        if self.server is None:
            return self.context.objects
        store = open_remote(self.context.settings, self.server.url)
        self._closers.append(store.close)
        return store

    def push_remote(self) -> ObjectStore | HttpObjectStore:
        """A remote to push to and pull from: a folder, or the team server."""
        url = self.server.url if self.server is not None else str(self.root.parent / "remote")
        store = open_remote(self.context.settings, url)
        self._closers.append(store.close)
        return store

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self.context.close()
        if self.admin is not self.context:
            self.admin.close()


@pytest.fixture(params=["embedded", "server"])
def mode(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> Iterator[Mode]:
    root = tmp_path / "work"
    root.mkdir()
    git_init(root)
    init_workspace(root, LOCAL_OWNER, project=PROJECT)
    monkeypatch.chdir(root)
    if request.param == "embedded":
        context = open_context(root)
        made = Mode("embedded", context, context, root, cli)
    else:
        server: TeamServer = request.getfixturevalue("team_server")
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        context = open_context(root, env=server.env())
        admin = open_context(root, env=server.env("root"))
        made = Mode("server", context, admin, root, cli, server)
    try:
        yield made
    finally:
        sdk.shutdown()
        sdk.stack.clear()
        made.close()


def as_admin(mode: Mode, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``mode.cli`` act as an admin (the local owner is one already)."""
    if mode.server is not None:
        monkeypatch.setenv("SHIPYARD_TOKEN", mode.server.team.tokens["root"])
