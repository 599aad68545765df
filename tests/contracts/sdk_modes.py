"""The three ways to run Shipyard, as one fixture: embedded on SQLite, embedded on
PostgreSQL, and against a team server.

``mode`` gives each test a :class:`Mode`: a context for the SDK and the CLI
(``context=mode.context``, or ``mode.cli(...)``), an admin's context, contexts
of the other personas (``mode.persona("viewer")``), the project's objects and
a remote to push to. A test written against ``Mode`` runs in all three and
must see the same.

- ``sqlite``: a fresh workspace (its SQLite file, local objects) acting as its
  local owner.
- ``postgresql``: a fresh workspace whose metadata is the session's PostgreSQL
  database and whose objects are in a moto S3 bucket (a team sharing a database
  and a bucket without a server), acting as its local owner.
- ``server``: the session's ``shipyard server`` (PostgreSQL, moto S3, two worker
  processes) reached over HTTP as the ``contributor`` persona, with a workspace
  of its own for local files.

Every implementation is taken from the context the mode builds (``ctx.tracking``,
``ctx.registry``, ``ctx.open_datasets()``, …); :func:`objects_of` is the one
place that picks the objects interface, until the context has it for a server.

To add your domain's operations: take ``mode`` in a test under
``tests/contracts/``, call your SDK with ``context=mode.context`` (or
``mode.cli(...)``), and use fresh names (``mode.unique("exp")``), since the
database and the server are shared by the whole session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.context import Context, open_context
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.objects.api import ProjectObjects
from shipyard.objects.open import open_remote
from shipyard.tracking.session import sdk
from shipyard.workspace.create import init_workspace
from tests.conftest import git_init
from tests.serverkit import PROJECT, TeamServer, fresh_database

Cli = Callable[..., Result]
Objects = ProjectObjects

MODES = ("sqlite", "postgresql", "server")

# The server's personas (tests/serverkit.make_team), as principals of an embedded store.
PERSONAS = {
    "root": Principal("root", admin=True),
    "maintainer": Principal("maintainer", roles={PROJECT: Role.MAINTAINER}),
    "contributor": Principal("contributor", roles={PROJECT: Role.CONTRIBUTOR}),
    "viewer": Principal("viewer", roles={PROJECT: Role.VIEWER}),
    "outsider": Principal("outsider", roles={"fraud": Role.MAINTAINER}),
}


def objects_of(ctx: Context) -> Objects:
    """The objects interface ``ctx`` picks: its store, or the team server's."""
    return ctx.project_objects


DOMAINS: dict[str, Callable[[Context], object]] = {
    "tracking": lambda ctx: ctx.open_tracking(),
    "registry": lambda ctx: ctx.registry,
    "aliases": lambda ctx: ctx.aliases,
    "auth": lambda ctx: ctx.auth,
    "datasets": lambda ctx: ctx.open_datasets(),
    "objects": objects_of,
}
# ctx.monitoring (run, status) is too small an interface to recognise classes by; its
# modes are covered by test_monitor_status.py and tests/monitoring/live/test_remote.py.
"""How a context picks each domain's implementation (test_every_implementation.py checks
that every implementation in the source is one of those the modes pick)."""


@dataclass
class Mode:
    name: str
    """``sqlite``, ``postgresql`` or ``server`` (see :data:`MODES`)."""
    context: Context
    """What the SDK gets: a data scientist's (the local owner; or a contributor on the server)."""
    admin: Context
    """An admin's context (the same as ``context`` when embedded)."""
    root: Path
    """A workspace folder (the current folder) for files the test makes."""
    cli: Cli
    """``shipyard ARGS…`` in-process, as ``context`` (env: SHIPYARD_URI/TOKEN/PROJECT…)."""
    server: TeamServer | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def remote(self) -> bool:
        return self.server is not None

    @property
    def embedded(self) -> bool:
        return self.server is None

    @property
    def project(self) -> str:
        return self.context.project

    def unique(self, prefix: str) -> str:
        """A name no other test on the shared database or server uses."""
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    def persona(self, name: str) -> Context:
        """The context of a persona of :data:`PERSONAS` (a token on the server)."""
        if self.server is None:
            return self.context.as_principal(PERSONAS[name])
        made = open_context(self.root, env=self.server.env(name))
        self._closers.append(made.close)
        return made

    @property
    def objects(self) -> Objects:
        """Where the project's objects live: the workspace's store, or the server's."""
        store = objects_of(self.context)
        if self.server is not None:
            self._closers.append(store.close)
        return store

    @property
    def remote_url(self) -> str:
        """A remote to push to and pull from: a folder, or the team server."""
        return self.server.url if self.server is not None else str(self.root.parent / "remote")

    def push_remote(self) -> Objects:
        """The store at :attr:`remote_url`."""
        store = open_remote(self.context.settings, self.remote_url)
        self._closers.append(store.close)
        return store

    def elsewhere(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Work on as a colleague's machine would: the same metadata and remote, but
        objects of its own (embedded on PostgreSQL: another prefix of the bucket)."""
        configured = self.context.settings.objects.path
        if configured.startswith("s3://"):
            bucket = configured.rsplit("/", 1)[0]
            monkeypatch.setenv("SHIPYARD_OBJECTS_PATH", f"{bucket}/{uuid.uuid4().hex[:12]}")

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self.context.close()
        if self.admin is not self.context:
            self.admin.close()


@pytest.fixture(scope="session")
def shared_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the PostgreSQL database the ``postgresql`` mode's workspaces share."""
    with fresh_database("postgresql", tmp_path_factory.mktemp("shared-pg")) as db:
        yield db.url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def shared_bucket(s3_endpoint: str) -> str:
    """A moto bucket for the ``postgresql`` mode's objects (a prefix per test)."""
    import boto3

    name = f"modes-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    s3.close()
    return name


def mode_env(name: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment a process of mode ``name`` works with (empty: the workspace's own)."""
    if name == "sqlite":
        return {}
    if name == "postgresql":
        bucket = request.getfixturevalue("shared_bucket")
        return {
            "SHIPYARD_URI": request.getfixturevalue("shared_postgres"),
            "SHIPYARD_OBJECTS_PATH": f"s3://{bucket}/{uuid.uuid4().hex[:12]}",
            "SHIPYARD_OBJECTS_S3_ENDPOINT_URL": request.getfixturevalue("s3_endpoint"),
        }
    server: TeamServer = request.getfixturevalue("team_server")
    return server.env()


@contextmanager
def open_mode(
    name: str, request: pytest.FixtureRequest, root: Path, monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> Iterator[Mode]:  # fmt: skip
    """A fresh workspace at ``root`` (the current folder) working in mode ``name``."""
    root.mkdir(parents=True)
    git_init(root)
    init_workspace(root, LOCAL_OWNER, project=PROJECT)
    monkeypatch.chdir(root)
    env = mode_env(name, request)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    context = open_context(root, env=env or None)
    if name == "server":
        server: TeamServer = request.getfixturevalue("team_server")
        admin = open_context(root, env=server.env("root"))
        made = Mode(name, context, admin, root, cli, server)
    else:
        made = Mode(name, context, context, root, cli)
    try:
        yield made
    finally:
        sdk.shutdown()
        sdk.stack.clear()
        made.close()


@pytest.fixture(params=MODES)
def mode(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> Iterator[Mode]:
    with open_mode(request.param, request, tmp_path / "work", monkeypatch, cli) as made:
        yield made


def as_admin(mode: Mode, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``mode.cli`` act as an admin (the local owner is one already)."""
    if mode.server is not None:
        monkeypatch.setenv("SHIPYARD_TOKEN", mode.server.team.tokens["root"])
