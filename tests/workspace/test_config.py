from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import ConfigError
from shipyard.workspace.config import load_settings


def test_settings_come_from_the_workspace_file(workspace: Path) -> None:
    settings = load_settings(workspace / ".", env={})
    assert settings.workspace == workspace
    assert settings.project.name == "demo"
    assert settings.store.uri == ""


def test_environment_beats_the_file_and_flags_beat_both(workspace: Path) -> None:
    env = {"SHIPYARD_PROJECT": "from-env", "SHIPYARD_COST_CPU_HOUR": "1.5"}
    assert load_settings(workspace, env=env).project.name == "from-env"
    settings = load_settings(workspace, env=env, flags={"project.name": "from-flag"})
    assert settings.project.name == "from-flag"
    assert settings.cost.cpu_hour == 1.5


def test_a_corrupt_config_file_names_the_file_and_the_line(workspace: Path) -> None:
    config = workspace / ".shipyard" / "config.toml"
    config.write_text('[project]\nname = "demo"\n[store\nuri = ""\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(workspace, env={})
    assert str(config) in caught.value.message
    assert "line 3" in caught.value.message


def test_binary_garbage_in_config_is_a_config_error(workspace: Path) -> None:
    (workspace / ".shipyard" / "config.toml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError):
        load_settings(workspace, env={})


def test_outside_a_workspace_only_environment_and_flags_count(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"SHIPYARD_URI": "sqlite:///x.db"})
    assert settings.workspace is None
    assert settings.store.uri == "sqlite:///x.db"
