"""The Python API: ``shipyard.data.add/open/read_table``, and team-server records."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi import FastAPI

import shipyard
import shipyard.data
from shipyard.context import open_context
from shipyard.core.errors import NotFound
from tests.data.conftest import commit, write_csv
from tests.serverkit import PROJECT, Team


def test_add_open_and_read_older_versions(workspace: Path) -> None:
    table = workspace / "data" / "train.csv"
    write_csv(table, 10)
    [added] = shipyard.data.add("data/train.csv", message="first")
    assert added.version == 1
    commit(workspace, "v1")
    write_csv(table, 30, extra_column=True)
    shipyard.data.add(["data/train.csv"])
    commit(workspace, "v2")

    assert shipyard.data.open("data/train.csv") == table  # the work tree is that version
    old = shipyard.data.open("data/train.csv", rev="HEAD~1")
    assert old != table
    assert old.read_text().count("\n") == 11
    assert not os.stat(old).st_mode & stat.S_IWUSR  # a read-only copy
    assert table.read_text().count("\n") == 31  # the work tree was not touched

    frame = shipyard.data.read_table("data/train.csv", rev="HEAD~1")
    assert list(frame.columns) == ["id", "score"]
    assert len(frame) == 10
    arrow = shipyard.data.read_table("data/train.csv", columns=["segment"], kind="arrow")
    assert arrow.num_rows == 30
    assert arrow.column_names == ["segment"]
    assert [v.version for v in shipyard.data.versions("data/train.csv")] == [2, 1]
    assert shipyard.data.status()[0].state == "unchanged"


def test_open_a_file_inside_a_tracked_folder_at_a_revision(workspace: Path) -> None:
    write_csv(workspace / "parts" / "a.csv", 3)
    shipyard.data.add("parts")
    commit(workspace, "v1")
    write_csv(workspace / "parts" / "a.csv", 5)
    shipyard.data.add("parts")
    path = shipyard.data.open("parts/a.csv", rev="HEAD")
    assert path.read_text().count("\n") == 4
    with pytest.raises(NotFound, match=r"has no file b.csv"):
        shipyard.data.open("parts/b.csv")


def test_the_data_sdk_loads_on_first_use() -> None:
    assert shipyard.data.add is not None  # type: ignore[attr-defined]
    assert "data" in dir(shipyard) or shipyard.data is not None  # type: ignore[attr-defined]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_with_a_team_server_versions_are_recorded_there(
    workspace: Path, server_app: FastAPI, live_server, team: Team,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    port = live_server(server_app)
    monkeypatch.setenv("SHIPYARD_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("SHIPYARD_TOKEN", team.tokens["contributor"])
    monkeypatch.setenv("SHIPYARD_PROJECT", PROJECT)
    write_csv(workspace / "t.csv", 4)
    with open_context(workspace) as ctx:
        [added] = shipyard.data.add("t.csv", context=ctx)
        assert added.version == 1
        [record] = shipyard.data.versions("t.csv", context=ctx)
        assert (record.created_by, record.project, record.rows) == ("contributor", PROJECT, 4)
