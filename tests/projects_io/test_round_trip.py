"""A project moved to a fresh workspace or PostgreSQL database looks the same to its users."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from shipyard.context import open_context
from shipyard.core.digest import Digest
from shipyard.core.principal import LOCAL_OWNER
from shipyard.data.tables import DatasetRow, DatasetVersionRow
from shipyard.objects.progress import NO_PROGRESS
from shipyard.projects_io.importing import import_project
from shipyard.workspace.create import init_workspace
from tests.conftest import git_init
from tests.projects_io.conftest import Cli
from tests.serverkit import fresh_database

VIEWS = [
    ("runs", "ls", "--json"),
    ("experiments", "ls", "--json"),
    ("models", "ls", "--json"),
    ("models", "show", "churn/1", "--json"),
    ("models", "show", "churn/2", "--json"),
    ("models", "alias", "history", "churn", "--json"),
]


@dataclass(frozen=True)
class Target:
    options: tuple[str, ...]
    """Global options naming the target's metadata store."""
    env: tuple[tuple[str, str], ...] = ()
    """Settings of the target's object store, when not the workspace's folder."""


@pytest.fixture(params=["workspace", "postgresql", "postgresql+s3"])
def target_store(request: pytest.FixtureRequest, target: Path) -> Iterator[Target]:
    """The target store: the workspace's own, a fresh database, or a fresh database and
    an S3 bucket (a team server's stores)."""
    if request.param == "workspace":
        yield Target(("-C", str(target)))
        return
    env: tuple[tuple[str, str], ...] = ()
    if "s3" in request.param:
        env = (
            ("SHIPYARD_OBJECTS_PATH", request.getfixturevalue("s3_bucket_url")),
            ("SHIPYARD_OBJECTS_S3_ENDPOINT_URL", request.getfixturevalue("s3_endpoint")),
        )
    with fresh_database("postgresql", target) as db:
        url = db.url.render_as_string(hide_password=False)
        yield Target(("-C", str(target), "--uri", url), env)


def _views(cli: Cli, *options: str) -> dict[str, object]:
    seen: dict[str, object] = {}
    for view in VIEWS:
        result = cli(*options, *view)
        assert result.exit_code == 0, result.output
        seen[" ".join(view)] = json.loads(result.stdout)
    listed = seen["runs ls --json"]
    assert isinstance(listed, dict)
    runs = {r["name"]: r["id"] for r in listed["runs"]}
    for name, key in (("parent", "loss"), ("parent", "odd"), ("child", "acc")):
        history = cli(*options, "runs", "history", runs[name], key, "--all", "--json")
        assert history.exit_code == 0, history.output
        seen[f"history {name} {key}"] = json.loads(history.stdout)
    shown = cli(*options, "runs", "show", runs["parent"], "--json")
    assert shown.exit_code == 0, shown.output
    seen["runs show parent"] = json.loads(shown.stdout)
    return seen


def test_everything_a_user_sees_survives_the_move(
    cli: Cli, source: Path, archive: Path, target_store: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _views(cli)
    versions = _dataset_versions()
    where = target_store.options
    for name, value in target_store.env:
        monkeypatch.setenv(name, value)
    imported = cli(*where, "import", str(archive))
    assert imported.exit_code == 0, imported.output
    assert "imported demo" in imported.stdout
    assert _views(cli, *where) == before
    fsck = cli(*where, "fsck")
    assert fsck.exit_code == 0, fsck.output
    verify = cli(*where, "audit", "verify")
    assert verify.exit_code == 0, verify.output
    # The bytes came along: a model version's files, a run's artifact.
    got = cli(*where, "models", "download", "churn/2", "-d", str(archive.parent / "m"))
    assert got.exit_code == 0, got.output
    listed = before["runs ls --json"]
    assert isinstance(listed, dict)
    parent = next(r["id"] for r in listed["runs"] if r["name"] == "parent")
    out = archive.parent / "artifacts"
    got = cli(*where, "runs", "download", parent, "-d", str(out))
    assert got.exit_code == 0, got.output
    assert (out / "notes.txt").read_text() == "trained on the full set\n"
    assert _dataset_versions(*where) == versions
    # And on again, exported from there (PostgreSQL: one REPEATABLE READ snapshot).
    again = archive.with_name("again.tar")
    assert cli(*where, "export", "demo", "-o", str(again)).exit_code == 0
    third = archive.parent / "third"
    third.mkdir()
    git_init(third)
    init_workspace(third, LOCAL_OWNER, project="demo")
    assert cli("-C", str(third), "import", str(again)).exit_code == 0
    assert _views(cli, "-C", str(third)) == before
    assert cli("-C", str(third), "fsck").exit_code == 0


def _dataset_versions(*where: str) -> list[tuple[str, int, str]]:
    """Dataset versions as recorded, each with its file's bytes present in the store."""
    options = dict(zip(where[::2], where[1::2], strict=True))
    flags = {"store.uri": options["--uri"]} if "--uri" in options else {}
    with open_context(Path(options.get("-C", ".")), flags=flags) as ctx:
        with ctx.db.read() as session:
            rows = session.execute(
                select(DatasetRow.name, DatasetVersionRow.version, DatasetVersionRow.digest)
                .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
                .where(DatasetRow.project == "demo")
            ).all()
        assert all(ctx.objects.has(Digest(digest)) for _, _, digest in rows)
    return sorted(tuple(r) for r in rows)


def test_import_is_recorded_in_the_target_audit_log(cli: Cli, archive: Path, target: Path) -> None:
    assert cli("-C", str(target), "import", str(archive)).exit_code == 0
    listed = cli("-C", str(target), "audit", "ls", "--json")
    assert listed.exit_code == 0, listed.output
    entries = [e for e in json.loads(listed.stdout) if e["action"] == "project.import"]
    assert len(entries) == 1
    detail = entries[0]["detail"]
    assert detail["source_entries"] > 0
    assert len(detail["source_audit_head"]["hash"]) == 64
    # The source's own entries are kept verbatim, as one object the entry names.
    with open_context(target) as ctx:
        kept = ctx.objects.read_bytes(Digest(detail["source_entries_object"])).splitlines()
    assert len(kept) == detail["source_entries"]
    first = json.loads(kept[0])
    assert first["project"] == "demo"
    assert first["action"] == "project.create"
    assert len(first["hash"]) == 64


def test_importing_again_does_nothing(cli: Cli, archive: Path, target: Path) -> None:
    assert cli("-C", str(target), "import", str(archive)).exit_code == 0
    again = cli("-C", str(target), "import", str(archive), "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["already_imported"] is True
    runs = json.loads(cli("-C", str(target), "runs", "ls", "--json").stdout)["runs"]
    assert len(runs) == 2


class _StopAt:
    """A progress sink that stops the import (a kill, in effect) once ``phase`` has
    advanced ``after`` times."""

    def __init__(self, phase: str, after: int) -> None:
        self.phase, self.after = phase, after
        self.current = ""
        self.seen = 0

    def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
        self.current = description
        self._check()

    def advance(self, amount: int) -> None:
        if self.current == self.phase:
            self.seen += 1
        self._check()

    def _check(self) -> None:
        if self.current == self.phase and self.seen >= self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("phase", "after"),
    [
        ("objects", 1),
        ("objects", 3),
        ("rows", 0),
        ("rows", 5),  # tables in, others not yet
        ("rows", 12),
    ],
)
def test_an_interrupted_import_leaves_no_rows_and_resumes(
    cli: Cli, archive: Path, target: Path, phase: str, after: int
) -> None:
    stop = _StopAt(phase, after)
    with open_context(target) as ctx, pytest.raises(KeyboardInterrupt):
        import_project(ctx.db, ctx.objects, archive, ctx.principal, progress=stop)
    assert json.loads(cli("-C", str(target), "runs", "ls", "--json").stdout)["runs"] == []
    assert json.loads(cli("-C", str(target), "models", "ls", "--json").stdout) == []
    with open_context(target) as ctx:
        summary = import_project(ctx.db, ctx.objects, archive, ctx.principal, progress=NO_PROGRESS)
    assert not summary.already
    assert summary.rows > 0
    if phase == "objects":  # those stored before the stop are not stored again
        assert summary.objects_present == after
    assert len(json.loads(cli("-C", str(target), "runs", "ls", "--json").stdout)["runs"]) == 2
    assert cli("-C", str(target), "fsck").exit_code == 0


def test_objects_go_through_the_target_store_encrypted_at_rest(
    cli: Cli, archive: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = target.parent / "objects.key"
    assert cli("objects", "keygen", str(key)).exit_code == 0
    monkeypatch.setenv("SHIPYARD_OBJECTS_ENCRYPT", "true")
    monkeypatch.setenv("SHIPYARD_OBJECTS_KEY_FILE", str(key))
    imported = cli("-C", str(target), "import", str(archive))
    assert imported.exit_code == 0, imported.output
    stats = json.loads(cli("-C", str(target), "objects", "stats", "--json").stdout)
    assert stats["encrypted"] is True
    stored = target / ".shipyard" / "objects"
    raw = b"".join(p.read_bytes() for p in stored.rglob("*") if p.is_file())
    assert b"trained on the full set" not in raw
    runs = json.loads(cli("-C", str(target), "runs", "ls", "--json").stdout)["runs"]
    parent = next(r["id"] for r in runs if r["name"] == "parent")
    out = target.parent / "out"
    assert cli("-C", str(target), "runs", "download", parent, "-d", str(out)).exit_code == 0
    assert (out / "notes.txt").read_text() == "trained on the full set\n"
