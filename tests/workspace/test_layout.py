from __future__ import annotations

from pathlib import Path

from shipyard.workspace.layout import WorkspaceLayout, find_workspace


def test_commands_find_the_workspace_from_any_subfolder(workspace: Path) -> None:
    deep = workspace / "src" / "models" / "v2"
    deep.mkdir(parents=True)
    assert find_workspace(deep) == workspace
    assert find_workspace(workspace) == workspace


def test_no_workspace_above_a_plain_folder(tmp_path: Path) -> None:
    assert find_workspace(tmp_path) is None


def test_a_dot_folder_without_config_is_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / ".shipyard").mkdir()
    assert find_workspace(tmp_path) is None


def test_layout_paths() -> None:
    layout = WorkspaceLayout(Path("/w"))
    assert layout.config_file == Path("/w/.shipyard/config.toml")
    assert layout.embedded_uri == "sqlite:////w/.shipyard/shipyard.db"
    assert layout.objects_dir("objects") == Path("/w/.shipyard/objects")
    assert layout.objects_dir("/mnt/big") == Path("/mnt/big")
