"""Settings are built once per process and rebuilt as soon as what they come from changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipyard.core.principal import LOCAL_OWNER
from shipyard.workspace.config import current_settings
from shipyard.workspace.create import init_workspace
from shipyard.workspace.layout import WorkspaceLayout


def test_the_same_settings_come_back_while_nothing_changes(workspace: Path) -> None:
    first = current_settings()
    assert current_settings() is first
    assert first.workspace == workspace


def test_a_changed_environment_variable_is_seen(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = current_settings()
    monkeypatch.setenv("SHIPYARD_COST_CPU_HOUR", "0.25")
    assert current_settings().cost.cpu_hour == 0.25
    monkeypatch.setenv("SHIPYARD_COST_CPU_HOUR", "0.5")
    assert current_settings().cost.cpu_hour == 0.5
    monkeypatch.delenv("SHIPYARD_COST_CPU_HOUR")
    assert current_settings() == before


def test_a_changed_config_file_is_seen_even_within_one_clock_tick(workspace: Path) -> None:
    config = WorkspaceLayout(workspace).config_file
    original = config.read_text()
    assert "cpu_hour = 0.0" in original
    config.write_text(original.replace("cpu_hour = 0.0", "cpu_hour = 1.5"))
    assert current_settings().cost.cpu_hour == 1.5
    stamp = config.stat()
    # Same size, same inode, and the same timestamps: only the bytes differ.
    config.write_text(original.replace("cpu_hour = 0.0", "cpu_hour = 2.5"))
    os.utime(config, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert current_settings().cost.cpu_hour == 2.5


def test_another_workspace_gets_its_own_settings(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = current_settings()
    other = tmp_path / "other"
    other.mkdir()
    init_workspace(other, LOCAL_OWNER, project="elsewhere")
    monkeypatch.chdir(other)
    there = current_settings()
    assert (there.workspace, there.project.name) == (other, "elsewhere")
    monkeypatch.chdir(workspace / ".shipyard")  # a sub-folder: the same workspace
    assert current_settings() is here
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    assert current_settings().workspace is None
