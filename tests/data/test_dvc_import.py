"""``shipyard data import-dvc``: a repository made by the real ``dvc`` (bench/.venv-peers).

Two git revisions of a file, a folder and a ``dvc.lock`` output, pushed to a
local DVC remote; the workspace is a clone whose DVC cache is empty, so every
byte comes from the remote and is checked against DVC's md5.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.core.principal import LOCAL_OWNER
from shipyard.workspace.create import init_workspace

DVC = Path(__file__).resolve().parents[2] / "bench" / ".venv-peers" / "bin" / "dvc"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Tess Ter", "GIT_AUTHOR_EMAIL": "tess@example.com",
    "GIT_COMMITTER_NAME": "Tess Ter", "GIT_COMMITTER_EMAIL": "tess@example.com",
}  # fmt: skip

pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path) -> str:
    env = {**os.environ, **GIT_ENV, "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def snapshot(root: Path) -> dict[str, bytes]:
    """The bytes DVC checked out: data.csv, images/*, out.txt (metrics.json stays in git)."""
    files = [root / "data.csv", root / "out.txt", *sorted((root / "images").iterdir())]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def dvc_repo(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A git + DVC repository with two revisions, both pushed to a local remote."""
    if not DVC.exists():
        pytest.skip("the real dvc lives in bench/.venv-peers: run bench/setup")
    root = tmp_path_factory.mktemp("dvc")
    repo, remote = root / "repo", root / "remote"
    repo.mkdir()
    remote.mkdir()
    run(["git", "init", "-q"], repo)
    run([str(DVC), "init", "-q"], repo)
    run([str(DVC), "remote", "add", "-d", "store", str(remote)], repo)
    (repo / "images").mkdir()
    (repo / "data.csv").write_bytes(b"id,score\r\n1,0.5\r\n")  # CRLF: bytes, not text, count
    (repo / "images" / "a.bin").write_bytes(bytes(range(256)))
    (repo / "images" / "b.txt").write_bytes(b"b\n")
    run([str(DVC), "add", "-q", "data.csv", "images"], repo)
    run([str(DVC), "stage", "add", "-q", "-n", "double", "-d", "data.csv", "-o", "out.txt",
         "cat data.csv data.csv > out.txt"], repo)  # fmt: skip
    run([str(DVC), "stage", "add", "-q", "-n", "score", "-d", "data.csv", "-M", "metrics.json",
         "wc -c < data.csv > metrics.json"], repo)  # fmt: skip
    run([str(DVC), "repro", "-q"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", "v1"], repo)
    old = snapshot(repo)
    (repo / "data.csv").write_bytes(b"id,score\r\n1,0.5\r\n2,0.7\r\n")
    (repo / "images" / "c.txt").write_bytes(b"new\n")
    (repo / "images" / "b.txt").unlink()
    run([str(DVC), "add", "-q", "data.csv", "images"], repo)
    run([str(DVC), "repro", "-q"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", "v2"], repo)
    run([str(DVC), "push", "-q", "-r", "store", "--all-commits"], repo)
    return repo, old, snapshot(repo)


@pytest.fixture
def clone(
    dvc_repo: tuple[Path, dict[str, bytes], dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A clone of the DVC repository (empty DVC cache) holding a Shipyard workspace."""
    target = tmp_path / "clone"
    run(["git", "clone", "-q", str(dvc_repo[0]), str(target)], tmp_path)
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    init_workspace(target, LOCAL_OWNER, project="demo")
    monkeypatch.chdir(target)
    return target


def files_now(root: Path) -> dict[str, bytes]:
    return snapshot(root)


def test_older_revision_checks_out_dvcs_exact_bytes(
    dvc_repo: tuple[Path, dict[str, bytes], dict[str, bytes]],
    clone: Path,
    cli: Callable[..., Result],
) -> None:
    _, old, new = dvc_repo
    result = cli("data", "import-dvc", "--history")
    assert result.exit_code == 0, result.output
    assert "imported 3 DVC outputs (3 new pointers)" in result.output
    assert {p.name for p in clone.glob("*.yard")} == {
        "data.csv.yard",
        "images.yard",
        "out.txt.yard",
    }
    assert cli("data", "checkout").exit_code == 0
    assert files_now(clone) == new
    assert cli("data", "checkout", "--rev", "HEAD~1").exit_code == 0
    assert files_now(clone) == old
    md5 = hashlib.md5(old["data.csv"], usedforsecurity=False).hexdigest()
    assert md5 in (clone / ".yard-dvc.json").read_text()


def test_outputs_dvc_does_not_cache_stay_with_git(clone: Path, cli: Callable[..., Result]) -> None:
    assert cli("data", "import-dvc").exit_code == 0
    assert (clone / "metrics.json").is_file()  # committed to git, as DVC left it
    assert not (clone / "metrics.json.yard").exists()


def test_an_old_version_never_pushed_is_named_and_the_rest_imported(
    clone: Path, dvc_repo: tuple[Path, dict[str, bytes], dict[str, bytes]],
    tmp_path: Path, cli: Callable[..., Result],
) -> None:  # fmt: skip
    partial = tmp_path / "partial-remote"
    shutil.copytree(dvc_repo[0].parent / "remote", partial)
    md5 = hashlib.md5(dvc_repo[1]["data.csv"], usedforsecurity=False).hexdigest()
    (partial / "files" / "md5" / md5[:2] / md5[2:]).unlink()
    run([str(DVC), "remote", "modify", "store", "url", str(partial)], clone)
    result = cli("data", "import-dvc", "--history")
    assert result.exit_code == 0, result.output
    assert f"data.csv (md5 {md5}) of an older commit is in neither" in result.output
    assert cli("data", "checkout", "--rev", "HEAD~1", "images").exit_code == 0
    assert (clone / "images" / "b.txt").read_bytes() == dvc_repo[1]["images/b.txt"]
    missing = cli("data", "checkout", "--rev", "HEAD~1", "data.csv")
    assert missing.exit_code != 0
    assert "data.csv is not tracked at HEAD~1" in missing.output


def test_a_second_import_reads_nothing_again(clone: Path, cli: Callable[..., Result]) -> None:
    assert cli("data", "import-dvc", "--history").exit_code == 0
    again = json.loads(cli("data", "import-dvc", "--history", "--json").stdout)
    assert (again["contents"], again["versions"]) == (0, 0)
    assert not any(o["changed"] for o in again["outputs"])


def test_a_cache_file_whose_md5_differs_is_refused_and_nothing_is_written(
    clone: Path, dvc_repo: tuple[Path, dict[str, bytes], dict[str, bytes]],
    cli: Callable[..., Result],
) -> None:  # fmt: skip
    remote = dvc_repo[0].parent / "remote"
    md5 = hashlib.md5(dvc_repo[2]["out.txt"], usedforsecurity=False).hexdigest()
    cached = clone / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"tampered")  # the cache is read before the remote
    result = cli("data", "import-dvc")
    assert result.exit_code != 0
    assert f"{cached} should hold out.txt (from dvc.lock) (md5 {md5})" in result.output
    assert "Traceback" not in result.output
    assert not list(clone.glob("*.yard"))
    assert not (clone / ".yard-dvc.json").exists()
    assert remote.is_dir()


@pytest.mark.parametrize("path", ["../outside.csv", "/etc/passwd", "sub/../../x"])
def test_hostile_output_paths_are_refused(
    clone: Path, path: str, cli: Callable[..., Result]
) -> None:
    (clone / "evil.dvc").write_text(
        f"outs:\n- md5: 0cb327ce549d0014b0dcff366a6cd8b1\n  size: 1\n  hash: md5\n  path: {path}\n"
    )
    result = cli("data", "import-dvc")
    assert result.exit_code != 0
    assert "evil.dvc" in result.output
    assert "Traceback" not in result.output
    assert not list(clone.glob("*.yard"))


def test_a_link_in_the_cache_is_not_followed(
    clone: Path, dvc_repo: tuple[Path, dict[str, bytes], dict[str, bytes]],
    tmp_path: Path, cli: Callable[..., Result],
) -> None:  # fmt: skip
    remote = dvc_repo[0].parent / "remote"
    local_remote = tmp_path / "linked-remote"
    shutil.copytree(remote, local_remote)
    md5 = hashlib.md5(dvc_repo[2]["data.csv"], usedforsecurity=False).hexdigest()
    target = local_remote / "files" / "md5" / md5[:2] / md5[2:]
    secret = tmp_path / "secret"
    secret.write_bytes(dvc_repo[2]["data.csv"])  # the right bytes, but through a link
    target.unlink()
    target.symlink_to(secret)
    run([str(DVC), "remote", "modify", "store", "url", str(local_remote)], clone)
    result = cli("data", "import-dvc")
    assert result.exit_code != 0
    assert f"data.csv (from data.csv.dvc) (md5 {md5}) is in neither" in result.output
    assert not list(clone.glob("*.yard"))


def test_outside_a_dvc_repository_the_error_says_so(
    workspace: Path, cli: Callable[..., Result]
) -> None:
    result = cli("data", "import-dvc")
    assert result.exit_code != 0
    assert "is not a DVC repository (no .dvc folder)" in result.output
