"""``data add``: pointers, .gitignore, records, the stat cache, and refusals."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.context import Context
from shipyard.core.errors import Conflict, InvalidInput
from shipyard.data.service import DataService
from tests.data.conftest import commit, write_csv, write_files

Cli = Callable[..., Result]


def test_add_a_file_writes_pointer_gitignore_and_a_version(workspace: Path, cli: Cli) -> None:
    write_csv(workspace / "data" / "train.csv", 100)
    result = cli("data", "add", "data/train.csv", "--json")
    assert result.exit_code == 0, result.output
    [added] = json.loads(result.stdout)
    assert added["kind"] == "file"
    assert added["rows"] == 100
    assert added["version"] == 1
    pointer = (workspace / "data" / "train.csv.yard").read_text()
    assert f"digest: blake3:{added['digest']}" in pointer
    assert "rows: 100" in pointer
    assert "/train.csv" in (workspace / "data" / ".gitignore").read_text().splitlines()
    versions = cli("data", "log", "data/train.csv", "--json")
    assert json.loads(versions.stdout)[0]["version"] == 1


def test_the_next_step_hint_commits_everything_add_changed(workspace: Path, cli: Cli) -> None:
    commit(workspace, "workspace")
    write_csv(workspace / "data" / "train.csv", 10)
    write_files(workspace / "data" / "imgs", 3)
    write_csv(workspace / "top.csv", 10)
    result = cli("data", "add", "data/train.csv", "data/imgs", "top.csv")
    assert result.exit_code == 0, result.output
    hint = result.stdout.strip().splitlines()[-1]
    assert hint == (
        "next: git add data/train.csv.yard data/imgs.yard top.csv.yard data/.gitignore "
        ".gitignore && git commit"
    )
    git_add = shlex.split(hint.removeprefix("next: ").split(" && ")[0])
    subprocess.run(git_add, cwd=workspace, check=True)
    left = subprocess.run(["git", "status", "--porcelain"], cwd=workspace, check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    assert [line for line in left.splitlines() if line[1] != " "] == []  # all staged


def test_add_a_folder_and_re_add_it_from_the_stat_cache(workspace: Path, ctx: Context) -> None:
    write_files(workspace / "images", 40)
    service = DataService(ctx)
    [first] = service.add(["images"])
    assert (first.kind, first.files, first.hashed, first.changed) == ("directory", 40, 40, True)
    [again] = service.add(["images"])
    assert again.hashed == 0  # nothing read: the stat cache vouched for every file
    assert (again.changed, again.digest, again.version) == (False, first.digest, 1)
    (workspace / "images" / "f0003.bin").write_bytes(b"changed")
    [third] = service.add(["images"])
    assert (third.hashed, third.changed, third.version) == (1, True, 2)


def test_many_small_files_are_packed_not_written_one_by_one(workspace: Path, ctx: Context) -> None:
    write_files(workspace / "many", 300, size=256)
    before = ctx.objects.usage()
    DataService(ctx).add(["many"])
    after = ctx.objects.usage()
    assert after.packed - before.packed >= 300
    assert after.loose - before.loose <= 2  # the listing, perhaps its pack


def test_re_adding_after_touch_rehashes_but_keeps_the_version(
    workspace: Path, ctx: Context
) -> None:
    path = workspace / "table.csv"
    write_csv(path, 10)
    service = DataService(ctx)
    [first] = service.add(["table.csv"])
    os.utime(path, ns=(1, 1))
    [again] = service.add(["table.csv"])
    assert (again.hashed, again.changed, again.version) == (1, False, first.version)


def test_a_file_that_changes_while_being_added_is_not_recorded(
    workspace: Path, ctx: Context
) -> None:
    path = workspace / "live.bin"
    path.write_bytes(b"a" * 10_000)

    class Meddler:
        def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
            pass

        def advance(self, amount: int) -> None:
            with path.open("ab") as handle:
                handle.write(b"more")

    with pytest.raises(InvalidInput, match="changed while it was being added"):
        DataService(ctx).add(["live.bin"], progress=Meddler())
    assert not (workspace / "live.bin.yard").exists()
    assert DataService(ctx).datasets() == []


def test_a_large_file_that_changes_while_being_added_is_not_recorded(
    workspace: Path, ctx: Context
) -> None:
    path = workspace / "big.bin"
    path.write_bytes(os.urandom(6 * 1024 * 1024))
    touched = []

    class Meddler:
        def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
            pass

        def advance(self, amount: int) -> None:
            if not touched:
                touched.append(1)
                with path.open("r+b") as handle:
                    handle.seek(5 * 1024 * 1024)
                    handle.write(b"x" * 100)

    with pytest.raises(InvalidInput, match="changed while it was being added"):
        DataService(ctx).add(["big.bin"], progress=Meddler())
    assert not (workspace / "big.bin.yard").exists()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("../elsewhere.csv", "outside the workspace"),
        ("/etc/hostname", "outside the workspace"),
        (".shipyard/config.toml", "inside .shipyard/"),
        ("missing.csv", "missing.csv does not exist"),
        (".", "workspace root itself"),
    ],
)
def test_bad_paths_are_one_clear_error(
    workspace: Path, cli: Cli, target: str, message: str
) -> None:
    (workspace.parent / "elsewhere.csv").write_text("a\n1\n")
    result = cli("data", "add", target)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_file_git_tracks_is_refused(workspace: Path, cli: Cli) -> None:
    write_csv(workspace / "small.csv", 3)
    commit(workspace, "small table in git")
    result = cli("data", "add", "small.csv")
    assert result.exit_code == 2
    assert "git tracks small.csv already" in result.stderr
    assert "git rm -r --cached small.csv" in result.stderr


def test_a_path_inside_a_tracked_folder_is_refused(workspace: Path, ctx: Context) -> None:
    write_files(workspace / "images", 3)
    service = DataService(ctx)
    service.add(["images"])
    with pytest.raises(Conflict, match="inside images, which is tracked as a whole"):
        service.add(["images/f0001.bin"])


def test_adding_the_pointer_name_adds_the_data(workspace: Path, ctx: Context) -> None:
    write_csv(workspace / "t.csv", 3)
    service = DataService(ctx)
    service.add(["t.csv"])
    [again] = service.add(["t.csv.yard"])
    assert again.name == "t.csv"


def test_a_malformed_table_is_stored_without_a_profile(workspace: Path, ctx: Context) -> None:
    (workspace / "notes.csv").write_bytes(b"a,b\n1,2\n3,4,5,6\n")
    [added] = DataService(ctx).add(["notes.csv"])
    assert added.rows is None
    assert any("no profile" in note for note in added.notes)


def test_adding_again_replaces_a_corrupt_pointer(workspace: Path, ctx: Context) -> None:
    write_csv(workspace / "t.csv", 3)
    service = DataService(ctx)
    [first] = service.add(["t.csv"])
    (workspace / "t.csv.yard").write_text("<<<<<<< HEAD\nkind: file\n")
    [again] = service.add(["t.csv"])
    assert again.digest == first.digest
    assert service.status()[0].state == "unchanged"
