"""``data status``, ``diff``, ``ls``, ``log`` and ``show``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from tests.data.conftest import commit, write_csv, write_files

Cli = Callable[..., Result]


def test_status_names_modified_deleted_and_unchanged(workspace: Path, cli: Cli) -> None:
    write_csv(workspace / "a.csv", 5)
    write_csv(workspace / "b.csv", 5)
    write_files(workspace / "imgs", 4)
    cli("data", "add", "a.csv", "b.csv", "imgs")
    write_csv(workspace / "a.csv", 6)
    (workspace / "b.csv").unlink()
    (workspace / "imgs" / "f0001.bin").write_bytes(b"edited")
    (workspace / "imgs" / "f0002.bin").unlink()
    (workspace / "imgs" / "extra.bin").write_bytes(b"x")
    result = cli("data", "status", "--json")
    states = {s["name"]: s for s in json.loads(result.stdout)}
    assert states["a.csv"]["state"] == "modified"
    assert states["b.csv"]["state"] == "deleted"
    imgs = states["imgs"]
    assert (imgs["state"], imgs["added"], imgs["removed"], imgs["modified"]) == (
        "modified", 1, 1, 1,
    )  # fmt: skip
    text = cli("data", "status")
    assert "modified (+1 -1 ~1)" in text.stdout


def test_status_with_nothing_tracked(workspace: Path, cli: Cli) -> None:
    result = cli("data", "status")
    assert result.exit_code == 0
    assert "nothing is tracked yet" in result.stdout


def test_diff_reports_rows_and_schema_changes_between_revisions(workspace: Path, cli: Cli) -> None:
    write_csv(workspace / "data" / "train.csv", 10)
    write_files(workspace / "data" / "imgs", 3)
    cli("data", "add", "data/train.csv", "data/imgs")
    first = commit(workspace, "v1")
    write_csv(workspace / "data" / "train.csv", 25, extra_column=True)
    (workspace / "data" / "imgs" / "f0000.bin").unlink()
    (workspace / "data" / "imgs" / "f0001.bin").write_bytes(b"changed")
    (workspace / "data" / "imgs" / "more.bin").write_bytes(b"more")
    cli("data", "add", "data/train.csv", "data/imgs")
    second = commit(workspace, "v2")

    result = cli("data", "diff", first, second, "--json")
    assert result.exit_code == 0, result.output
    diffs = {d["name"]: d for d in json.loads(result.stdout)}
    [table] = diffs["data/train.csv"]["files"]
    assert (table["rows_before"], table["rows_after"]) == (10, 25)
    assert table["columns_added"] == ["segment"]
    changes = {f["path"]: f["change"] for f in diffs["data/imgs"]["files"]}
    assert changes == {
        "data/imgs/f0000.bin": "removed",
        "data/imgs/f0001.bin": "modified",
        "data/imgs/more.bin": "added",
    }
    text = cli("data", "diff", first, second).stdout
    assert "rows 10 → 25 (+15)" in text
    assert "+ column segment" in text
    assert cli("data", "diff").stdout.strip() == "no tracked data changed"


def test_diff_against_the_work_tree_shows_a_type_change(workspace: Path, cli: Cli) -> None:
    (workspace / "t.csv").write_text("id,score\n1,2\n3,4\n")
    cli("data", "add", "t.csv")
    commit(workspace, "ints")
    (workspace / "t.csv").write_text("id,score\n1,2.5\n3,4\n")
    cli("data", "add", "t.csv")
    text = cli("data", "diff").stdout
    assert "~ column score: int64 → double" in text


def test_diff_outside_git_is_a_clear_error(tmp_path: Path, cli: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from shipyard.core.principal import LOCAL_OWNER
    from shipyard.workspace.create import init_workspace

    init_workspace(tmp_path, LOCAL_OWNER, project="nogit")
    monkeypatch.chdir(tmp_path)
    result = cli("data", "diff")
    assert result.exit_code == 2
    assert "is not in a git repository" in result.stderr


def test_ls_log_and_show(workspace: Path, cli: Cli) -> None:
    write_csv(workspace / "data" / "train.csv", 10)
    write_csv(workspace / "parts" / "p1.csv", 4)
    write_csv(workspace / "parts" / "p2.csv", 6)
    cli("data", "add", "data/train.csv", "parts", "-m", "first cut")
    commit(workspace, "first data")
    write_csv(workspace / "data" / "train.csv", 12)
    cli("data", "add", "data/train.csv")
    commit(workspace, "more rows")
    write_csv(workspace / "data" / "train.csv", 14)
    cli("data", "add", "data/train.csv")

    listed = {p["name"]: p for p in json.loads(cli("data", "ls", "--json").stdout)}
    assert listed["parts"]["files"] == 2
    assert listed["parts"]["rows"] == 10
    assert listed["data/train.csv"]["rows"] == 14
    at_first = json.loads(cli("data", "ls", "--rev", "HEAD~1", "--json").stdout)
    assert {p["name"]: p["rows"] for p in at_first}["data/train.csv"] == 10

    log = json.loads(cli("data", "log", "data/train.csv", "--json").stdout)
    assert [(e["version"], e["pointer"]["rows"], e["subject"]) for e in log] == [
        (3, 14, None), (2, 12, "more rows"), (1, 10, "first data"),
    ]  # fmt: skip

    shown = cli("data", "show", "data/train.csv")
    assert shown.exit_code == 0
    assert "v3, added by local" in shown.stdout
    assert "profile of data/train.csv" in shown.stdout
    assert "score" in shown.stdout
    inner = json.loads(cli("data", "show", "parts/p2.csv", "--json").stdout)
    assert (inner["name"], inner["path"], inner["rows"]) == ("parts", "parts/p2.csv", 6)
    assert inner["record"]["message"] == "first cut"
    old = json.loads(cli("data", "show", "data/train.csv", "--rev", "HEAD~1", "--json").stdout)
    assert old["rows"] == 10


def test_every_data_command_has_help(cli: Cli) -> None:
    for command in (
        "add",
        "status",
        "diff",
        "checkout",
        "push",
        "pull",
        "ls",
        "log",
        "show",
        "get",
    ):
        result = cli("data", command, "--help")
        assert result.exit_code == 0, command
        assert "--json" in result.stdout, command
    for command in ("add", "list", "remove", "default"):
        assert cli("remote", command, "--help").exit_code == 0
