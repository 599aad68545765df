"""Remotes, ``data push``/``pull`` (folder and S3), unreachable remotes, ``data get``."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.core.settings import Settings
from tests.data.conftest import commit, write_csv, write_files

Cli = Callable[..., Result]


def _clone(origin: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    return where


def _track_and_push(workspace: Path, cli: Cli, *push_args: str) -> None:
    write_csv(workspace / "data" / "train.csv", 50)
    write_files(workspace / "data" / "imgs", 30)
    assert cli("data", "add", "data/train.csv", "data/imgs").exit_code == 0
    result = cli("data", "push", "--json", *push_args)
    assert result.exit_code == 0, result.output
    pushed = json.loads(result.stdout)
    assert pushed["objects"] >= 33  # 30 files, a table, its profile, the listing
    commit(workspace, "data v1")


def _same_tree(a: Path, b: Path) -> None:
    for path in a.rglob("*"):
        if path.is_file():
            assert (b / path.relative_to(a)).read_bytes() == path.read_bytes()


def test_push_then_pull_into_a_clone_through_a_folder_remote(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote-store"
    assert cli("remote", "add", "origin", str(remote)).exit_code == 0
    _track_and_push(workspace, cli)
    status = json.loads(cli("data", "status", "--json").stdout)
    assert {s["pushed"] for s in status} == {True}
    again = json.loads(cli("data", "push", "--json").stdout)
    assert again["objects"] == 0  # nothing new to send
    checked = json.loads(cli("data", "status", "--check-remote", "--json").stdout)
    assert {s["pushed"] for s in checked} == {True}

    clone = _clone(workspace, tmp_path / "clone")
    monkeypatch.chdir(clone)
    result = cli("data", "pull", "--json")
    assert result.exit_code == 0, result.output
    assert sum(c["written"] for c in json.loads(result.stdout)["checkout"]) == 31
    _same_tree(workspace / "data", clone / "data")
    assert {s["state"] for s in json.loads(cli("data", "status", "--json").stdout)} == {"unchanged"}
    shutil.rmtree(remote)  # the remote lost everything: asking it tells
    checked = json.loads(cli("data", "status", "-c", "--json").stdout)
    assert {s["pushed"] for s in checked} == {False}
    remembered = json.loads(cli("data", "status", "--json").stdout)
    assert {s["pushed"] for s in remembered} == {False}


def test_push_and_pull_through_s3(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    s3_bucket: str, s3_endpoint: str,
) -> None:  # fmt: skip
    url = f"s3://{s3_bucket}/datasets"
    added = cli("remote", "add", "store", url, "--endpoint-url", s3_endpoint)
    assert added.exit_code == 0, added.output
    _track_and_push(workspace, cli)
    clone = _clone(workspace, tmp_path / "clone")
    monkeypatch.chdir(clone)
    result = cli("data", "pull", "data/imgs", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["remote_requests"] < 20  # packs, not a request per file
    _same_tree(workspace / "data" / "imgs", clone / "data" / "imgs")
    assert not (clone / "data" / "train.csv").exists()


def test_pull_of_data_nobody_pushed_names_it(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("remote", "add", "origin", str(tmp_path / "empty-remote"))
    write_csv(workspace / "t.csv", 5)
    cli("data", "add", "t.csv")
    commit(workspace, "t")
    clone = _clone(workspace, tmp_path / "clone")
    monkeypatch.chdir(clone)
    result = cli("data", "pull")
    assert result.exit_code == 2
    assert "remote origin lacks data the pointers name" in result.stderr
    assert not (tmp_path / "empty-remote").exists()  # a pull never creates a remote


def test_an_unreachable_s3_remote_is_a_clear_error_and_writes_nothing(
    workspace: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, s3_bucket: str
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cli(
        "remote", "add", "dead", f"s3://{s3_bucket}/x", "--endpoint-url", f"http://127.0.0.1:{port}"
    )
    write_csv(workspace / "t.csv", 5)
    cli("data", "add", "t.csv")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    result = cli("data", "push")
    assert result.exit_code == 1
    assert "cannot reach the S3 endpoint" in result.stderr
    assert "Traceback" not in result.output
    status = json.loads(cli("data", "status", "--json").stdout)
    assert status[0]["pushed"] is False


def test_a_folder_remote_that_cannot_be_created_is_a_clear_error(workspace: Path, cli: Cli) -> None:
    (workspace / "blocker").write_text("a file where a folder should be")
    cli("remote", "add", "origin", str(workspace / "blocker" / "store"))
    write_csv(workspace / "t.csv", 5)
    cli("data", "add", "t.csv")
    result = cli("data", "push")
    assert result.exit_code == 1
    assert "cannot use" in result.stderr
    assert "Traceback" not in result.output


def test_remote_add_keeps_comments_and_rejects_bad_input(workspace: Path, cli: Cli) -> None:
    config = workspace / ".shipyard" / "config.toml"
    config.write_text("# my team's settings\n" + config.read_text())
    assert cli("remote", "add", "origin", "s3://bucket/data").exit_code == 0
    assert cli("remote", "add", "backup", "/mnt/backup", "--default").exit_code == 0
    text = config.read_text()
    assert text.startswith("# my team's settings\n")
    assert "# Prices used to estimate what each run costs" in text
    assert '[remotes.origin]\nurl = "s3://bucket/data"' in text
    listed = json.loads(cli("remote", "list", "--json").stdout)
    assert [(r["name"], r["default"]) for r in listed] == [("origin", False), ("backup", True)]

    duplicate = cli("remote", "add", "origin", "s3://other/x")
    assert duplicate.exit_code == 2
    assert "exists already" in duplicate.stderr
    bad = cli("remote", "add", "web", "ftp://host/x")
    assert bad.exit_code == 2
    assert "ftp:// remotes are not supported" in bad.stderr
    badname = cli("remote", "add", "bad name", "s3://b/x")
    assert badname.exit_code == 2
    assert "bad remote name" in badname.stderr
    assert cli("remote", "remove", "backup").exit_code == 0
    assert cli("remote", "default", "origin").exit_code == 0
    assert 'remote = "origin"' in config.read_text()


def test_remote_settings_are_validated() -> None:
    from shipyard.core.errors import ConfigError
    from shipyard.core.settings import build_settings

    settings = build_settings(file={"remotes": {"origin": {"url": "s3://b/p"}}})
    assert isinstance(settings, Settings)
    assert settings.remotes[0].url == "s3://b/p"
    for file, message in [
        ({"remotes": {"origin": {"url": "s3://b", "colour": "red"}}}, "unknown setting 'colour'"),
        ({"remotes": {"origin": {}}}, "has no url"),
        ({"remotes": "s3://b"}, "must be tables"),
        ({"data": {"link": "symlink"}}, "data.link has a bad value"),
    ]:
        with pytest.raises(ConfigError, match=message):
            build_settings(file=file)


def test_pushing_data_this_store_never_had_is_refused_before_sending(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("remote", "add", "origin", str(tmp_path / "remote"))
    write_csv(workspace / "t.csv", 5)
    cli("data", "add", "t.csv")
    commit(workspace, "t")
    clone = _clone(workspace, tmp_path / "clone")
    monkeypatch.chdir(clone)
    result = cli("data", "push", "-r", str(tmp_path / "other"))
    assert result.exit_code == 2
    assert "the local store lacks 2 object(s)" in result.stderr
    assert "nothing was pushed" in result.stderr
    assert not (tmp_path / "other").exists()


def test_an_unreachable_server_remote_fails_at_push(workspace: Path, cli: Cli) -> None:
    from tests.serverkit import free_port

    url = f"http://127.0.0.1:{free_port()}"
    assert cli("remote", "add", "team", url).exit_code == 0
    write_csv(workspace / "t.csv", 5)
    cli("data", "add", "t.csv")
    result = cli("data", "push")
    assert result.exit_code == 1
    assert "cannot reach the Shipyard server" in result.stderr


def test_no_remote_configured_is_a_clear_error(workspace: Path, cli: Cli) -> None:
    result = cli("data", "push")
    assert result.exit_code == 2
    assert "no data remote is configured" in result.stderr
    assert "shipyard remote add" in result.stderr


def test_get_fetches_a_version_from_another_repository(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("remote", "add", "origin", str(tmp_path / "shared"))
    _track_and_push(workspace, cli)
    first_table = (workspace / "data" / "train.csv").read_bytes()
    write_csv(workspace / "data" / "train.csv", 70)
    cli("data", "add", "data/train.csv")
    cli("data", "push")
    commit(workspace, "data v2")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli("data", "get", str(workspace), "data/train.csv", "--rev", "HEAD~1", "--json")
    assert result.exit_code == 0, result.output
    assert (elsewhere / "train.csv").read_bytes() == first_table
    folder = cli("data", "get", str(workspace), "data/imgs", "-o", "images")
    assert folder.exit_code == 0, folder.output
    assert len(list((elsewhere / "images").iterdir())) == 30
    again = cli("data", "get", str(workspace), "data/train.csv")
    assert again.exit_code == 2
    assert "exists already" in again.stderr
    missing = cli("data", "get", str(workspace), "data/nothing.csv")
    assert missing.exit_code == 2
    assert "does not track data/nothing.csv" in missing.stderr
    url = cli("data", "get", f"file://{workspace}", "data/train.csv", "-o", "t2.csv")
    assert url.exit_code == 0, url.output
    assert (elsewhere / "t2.csv").read_bytes() == (workspace / "data" / "train.csv").read_bytes()


def test_get_of_an_old_revision_uses_the_remotes_configured_today(
    workspace: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv(workspace / "data" / "x.csv", 40)
    assert cli("data", "add", "data/x.csv").exit_code == 0
    commit(workspace, "data v1.0, before any remote")
    subprocess.run(["git", "tag", "v1.0"], cwd=workspace, check=True)
    cli("remote", "add", "origin", str(tmp_path / "shared"))
    assert cli("data", "push").exit_code == 0
    table = (workspace / "data" / "x.csv").read_bytes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    # the remote is only in the work tree's config, not yet committed
    got = cli("data", "get", str(workspace), "data/x.csv", "--rev", "v1.0", "-o", "a.csv")
    assert got.exit_code == 0, got.output
    assert (elsewhere / "a.csv").read_bytes() == table
    named = cli("data", "get", str(workspace), "data/x.csv", "--rev", "v1.0", "-r", "origin",
                "-o", "b.csv")  # fmt: skip
    assert named.exit_code == 0, named.output
    assert (elsewhere / "b.csv").read_bytes() == table

    commit(workspace, "remote origin")  # a URL is read at its default branch
    url = f"file://{workspace}"
    for flags in ([], ["-r", "origin"]):
        out = f"url{len(flags)}.csv"
        got = cli("data", "get", url, "data/x.csv", "--rev", "v1.0", *flags, "-o", out)
        assert got.exit_code == 0, got.output
        assert (elsewhere / out).read_bytes() == table
