"""A cloned repository is not trusted: its listings, pointers and links never write outside.

The attacker controls what a repository commits (pointer files, folders
committed as symbolic links) and what its remote holds (folder listings). The
victim runs ``data pull``, ``data checkout``, ``data get`` or
``shipyard.data.open`` and must get one clear line (exit 2), with nothing
written outside the tracked path.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

import shipyard.data
from shipyard.context import open_context
from shipyard.core.digest import digest_of
from shipyard.core.errors import UnsafePath
from shipyard.data.paths import pointer_path
from shipyard.data.pointer import Pointer
from shipyard.objects.open import open_remote
from tests.data.conftest import commit, write_files

Cli = Callable[..., Result]
GIT_CONFIG_BAIT = "[core]\n\tfsmonitor = touch /tmp/pwned\n"


def _listing(files: dict[str, bytes]) -> bytes:
    rows = [[path, digest_of(data).hex, len(data)] for path, data in files.items()]
    return json.dumps({"type": "shipyard.data.tree", "version": 1, "files": rows}).encode()


def _plant(store_url: str, workspace: Path, name: str, files: dict[str, bytes]) -> None:
    """Put a hand-made listing and its files into a store; point ``name`` at it."""
    with open_context(workspace) as ctx:
        store = open_remote(ctx.settings, store_url, create=True)
        try:
            for data in files.values():
                store.put_bytes(data)
            listing = _listing(files)
            store.put_bytes(listing)
        finally:
            store.close()
    pointer = Pointer(name, "directory", digest_of(listing), 1, len(files))
    where = pointer_path(workspace, name)
    where.parent.mkdir(parents=True, exist_ok=True)
    pointer.write(where)


def _attacker_repo(workspace: Path, cli: Cli, remote: Path, files: dict[str, bytes]) -> None:
    assert cli("remote", "add", "origin", str(remote)).exit_code == 0
    write_files(workspace / "data" / "imgs", 2)
    assert cli("data", "add", "data/imgs").exit_code == 0
    assert cli("data", "push").exit_code == 0
    _plant(str(remote), workspace, "data/imgs", files)
    commit(workspace, "innocent-looking data")


def _clone(origin: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    return where


def _error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_pull_refuses_a_listing_that_names_the_repositorys_git_config(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote"
    _attacker_repo(
        workspace, cli, remote, {"ok.txt": b"fine", "../../.git/config": GIT_CONFIG_BAIT.encode()}
    )
    victim = _clone(workspace, tmp_path / "victim")
    config_before = (victim / ".git" / "config").read_bytes()
    monkeypatch.chdir(victim)
    assert cli("init").exit_code == 0 or (victim / ".shipyard").is_dir()
    result = cli("data", "pull")
    assert result.exit_code == 2
    line = _error_line(result)
    assert "../../.git/config" in line
    assert "data/imgs" in line
    assert (victim / ".git" / "config").read_bytes() == config_before
    assert not (victim / "data" / "imgs").exists()  # nothing written, not even ok.txt


@pytest.mark.parametrize(
    "entry", ["../escape.txt", "/tmp/abs.txt", "sub/.git/config", "a\\..\\b", ".shipyard/x"]
)
def test_checkout_open_and_get_refuse_every_unsafe_entry(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    files = {"fine.txt": b"1", entry: b"owned"}
    remote = tmp_path / "remote"
    assert cli("remote", "add", "origin", str(remote)).exit_code == 0
    _plant(str(workspace / ".shipyard" / "objects"), workspace, "data/set", files)
    _plant(str(remote), workspace, "data/set", files)  # the same listing, for `data get`
    commit(workspace, "hostile pointer")
    before = _snapshot(tmp_path)

    result = cli("data", "checkout", "data/set")
    assert result.exit_code == 2, result.output
    assert entry.replace("\\", "\\\\") in _error_line(result)

    with pytest.raises(UnsafePath):
        shipyard.data.open("data/set", rev="HEAD")

    monkeypatch.chdir(tmp_path)
    got = cli("data", "get", str(workspace), "data/set", "-o", str(tmp_path / "got"))
    assert got.exit_code == 2, got.output
    assert _snapshot(tmp_path) == before


def _snapshot(root: Path) -> dict[Path, bytes | None]:
    """Every path below ``root`` but the workspace's own metadata, with file contents."""
    return {
        p: (p.read_bytes() if p.is_file() else None)
        for p in root.rglob("*")
        if ".shipyard" not in p.parts or "keys" in p.parts
    }


def test_a_pointer_committed_inside_the_shipyard_folder_is_refused(
    workspace: Path, cli: Cli
) -> None:
    # A stranger's repository "tracks" .shipyard/keys/trusted: checking it out would
    # make the attacker's public key one the workspace trusts to sign models.
    keys = workspace / ".shipyard" / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    store_url = str(workspace / ".shipyard" / "objects")
    _plant(store_url, workspace, ".shipyard/keys/trusted", {"attacker.pem": b"attacker key"})
    subprocess.run(["git", "add", "-f", ".shipyard/keys/trusted.yard"], cwd=workspace, check=True)
    commit(workspace, "hostile pointer into the key folder")
    result = cli("data", "checkout")
    assert result.exit_code == 2, result.output
    assert ".shipyard/keys/trusted" in _error_line(result)
    assert not (keys / "trusted").exists()


def test_pull_never_writes_through_a_folder_committed_as_a_symlink(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    remote = tmp_path / "remote"
    assert cli("remote", "add", "origin", str(remote)).exit_code == 0
    write_files(workspace / "linkdir", 3)
    assert cli("data", "add", "linkdir").exit_code == 0
    assert cli("data", "push").exit_code == 0
    subprocess.run(["git", "rm", "-rq", "--cached", "--ignore-unmatch", "linkdir"], cwd=workspace)
    for path in sorted((workspace / "linkdir").iterdir()):
        path.unlink()
    (workspace / "linkdir").rmdir()
    (workspace / "linkdir").symlink_to(outside)
    gitignore = workspace / ".gitignore"
    gitignore.write_text(gitignore.read_text().replace("/linkdir\n", ""))
    commit(workspace, "linkdir is a link now")

    victim = _clone(workspace, tmp_path / "victim")
    assert (victim / "linkdir").is_symlink()
    monkeypatch.chdir(victim)
    pulled = cli("data", "pull")
    assert pulled.exit_code == 2, pulled.output
    assert "symbolic link" in _error_line(pulled)
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]

    forced = cli("data", "checkout", "--force")
    assert forced.exit_code == 2, forced.output
    assert (outside / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
