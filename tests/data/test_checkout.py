"""``data checkout``: older revisions, local changes, missing objects, link modes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.context import Context, open_context
from shipyard.core.errors import Conflict, NotFound
from shipyard.data.service import DataService
from tests.data.conftest import commit, write_csv, write_files

Cli = Callable[..., Result]


def _two_versions(workspace: Path, cli: Cli) -> tuple[str, str]:
    table = workspace / "data" / "train.csv"
    write_csv(table, 10)
    write_files(workspace / "data" / "images", 5)
    assert cli("data", "add", "data/train.csv", "data/images").exit_code == 0
    first = commit(workspace, "v1")
    write_csv(table, 20, extra_column=True)
    (workspace / "data" / "images" / "f0000.bin").unlink()
    (workspace / "data" / "images" / "new.bin").write_bytes(b"new")
    assert cli("data", "add", "data/train.csv", "data/images").exit_code == 0
    second = commit(workspace, "v2")
    return first, second


def test_checkout_an_older_revision_restores_data_and_pointer(workspace: Path, cli: Cli) -> None:
    first, _second = _two_versions(workspace, cli)
    newer = (workspace / "data" / "train.csv").read_bytes()
    result = cli("data", "checkout", "--rev", first, "--json")
    assert result.exit_code == 0, result.output
    assert (workspace / "data" / "train.csv").read_text().count("\n") == 11
    assert sorted(p.name for p in (workspace / "data" / "images").iterdir()) == [
        f"f{i:04d}.bin" for i in range(5)
    ]
    status = json.loads(cli("data", "status", "--json").stdout)
    assert {s["state"] for s in status} == {"unchanged"}  # the pointers followed the data
    # and back to the newest commit
    assert cli("data", "checkout", "--rev", "HEAD").exit_code == 0
    assert (workspace / "data" / "train.csv").read_bytes() == newer


def test_checkout_restores_deleted_data(workspace: Path, cli: Cli) -> None:
    _two_versions(workspace, cli)
    shutil.rmtree(workspace / "data" / "images")
    (workspace / "data" / "train.csv").unlink()
    assert cli("data", "checkout").exit_code == 0
    assert len(list((workspace / "data" / "images").iterdir())) == 5
    assert (workspace / "data" / "train.csv").exists()


def test_local_changes_are_not_overwritten_without_force(workspace: Path, cli: Cli) -> None:
    first, _ = _two_versions(workspace, cli)
    table = workspace / "data" / "train.csv"
    table.write_text("id,score\n1,unsaved work\n")
    result = cli("data", "checkout", "--rev", first)
    assert result.exit_code == 2
    assert "data/train.csv has local changes that checkout would overwrite" in result.stderr
    assert "--force" in result.stderr
    assert table.read_text() == "id,score\n1,unsaved work\n"
    assert cli("data", "checkout", "--rev", first, "--force").exit_code == 0
    assert table.read_text().count("\n") == 11


def test_an_untracked_file_in_a_tracked_folder_is_not_deleted_silently(
    workspace: Path, ctx: Context, cli: Cli
) -> None:
    first, _ = _two_versions(workspace, cli)
    extra = workspace / "data" / "images" / "mine.txt"
    extra.write_text("keep me")
    with pytest.raises(Conflict, match=r"data/images/mine.txt has local changes"):
        DataService(ctx).checkout(["data/images"], rev=first)
    assert extra.exists()


def test_a_missing_object_is_named_and_pull_suggested(workspace: Path, cli: Cli) -> None:
    write_csv(workspace / "t.csv", 5)
    cli("data", "add", "t.csv")
    commit(workspace, "t")
    shutil.rmtree(workspace / ".shipyard" / "objects")
    (workspace / "t.csv").unlink()
    result = cli("data", "checkout")
    assert result.exit_code == 2
    assert "t.csv (" in result.stderr
    assert "is not in the local object store" in result.stderr
    assert "shipyard data pull" in result.stderr
    assert not (workspace / "t.csv").exists()


def test_hardlink_mode_links_read_only_files(workspace: Path, cli: Cli) -> None:
    config = workspace / ".shipyard" / "config.toml"
    config.write_text(config.read_text().replace('link = "auto"', 'link = "hardlink"'))
    write_files(workspace / "imgs", 3)
    cli("data", "add", "imgs")
    shutil.rmtree(workspace / "imgs")
    assert cli("data", "checkout").exit_code == 0
    first = workspace / "imgs" / "f0000.bin"
    assert first.stat().st_nlink == 2
    assert not first.stat().st_mode & stat.S_IWUSR
    assert json.loads(cli("data", "status", "--json").stdout)[0]["state"] == "unchanged"


def test_copy_mode_writes_independent_files(workspace: Path, cli: Cli) -> None:
    config = workspace / ".shipyard" / "config.toml"
    config.write_text(config.read_text().replace('link = "auto"', 'link = "copy"'))
    write_csv(workspace / "t.csv", 5)
    cli("data", "add", "t.csv")
    (workspace / "t.csv").unlink()
    assert cli("data", "checkout").exit_code == 0
    assert (workspace / "t.csv").stat().st_nlink == 1
    assert os.access(workspace / "t.csv", os.W_OK)


def test_an_unknown_revision_is_one_line(workspace: Path, cli: Cli) -> None:
    _two_versions(workspace, cli)
    result = cli("data", "checkout", "--rev", "no-such-branch")
    assert result.exit_code == 2
    assert "unknown git revision 'no-such-branch'" in result.stderr


def test_checkout_of_a_path_not_tracked_at_that_revision(workspace: Path, cli: Cli) -> None:
    first, _ = _two_versions(workspace, cli)
    write_csv(workspace / "late.csv", 2)
    cli("data", "add", "late.csv")
    result = cli("data", "checkout", "late.csv", "--rev", first)
    assert result.exit_code == 2
    assert "late.csv is not tracked at" in result.stderr


def test_a_corrupt_pointer_in_the_work_tree_is_one_line(workspace: Path, cli: Cli) -> None:
    write_csv(workspace / "t.csv", 5)
    cli("data", "add", "t.csv")
    pointer = workspace / "t.csv.yard"
    pointer.write_text(pointer.read_text().replace("size:", "size: {"))
    for command in (["data", "checkout"], ["data", "status"], ["data", "push", "-r", "x/y"]):
        result = cli(*command)
        assert result.exit_code == 2, command
        assert "pointer file" in result.stderr
        assert "t.csv.yard" in result.stderr
        assert "Traceback" not in result.output


def test_missing_data_after_a_fresh_clone_is_reported_by_status(
    workspace: Path, cli: Cli, tmp_path: Path
) -> None:
    _two_versions(workspace, cli)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(workspace), str(clone)], check=True)
    with open_context(clone) as ctx:
        found = DataService(ctx).status()
        assert {(s.state, s.in_store) for s in found} == {("deleted", False)}
        with pytest.raises(NotFound) as caught:
            DataService(ctx).checkout()
        assert "shipyard data pull" in caught.value.one_line()
