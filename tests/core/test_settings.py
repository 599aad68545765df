from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import ConfigError
from shipyard.core.settings import Settings, build_settings, env_var_for, setting_keys


def test_defaults_need_no_input() -> None:
    settings = build_settings()
    assert settings == Settings()
    assert settings.store.uri == ""
    assert settings.objects.path == "objects"


def test_layers_apply_in_order_defaults_file_environment_flags() -> None:
    file = {"store": {"uri": "sqlite:///file.db"}, "project": {"name": "from-file"}}
    env = {"SHIPYARD_URI": "sqlite:///env.db", "SHIPYARD_COST_CPU_HOUR": "0.5"}
    flags = {"store.uri": "sqlite:///flag.db", "project.name": None}
    settings = build_settings(file=file, env=env, flags=flags, workspace=Path("/w"))
    assert settings.store.uri == "sqlite:///flag.db"  # flag beats env beats file
    assert settings.project.name == "from-file"  # a flag of None is "not given"
    assert settings.cost.cpu_hour == 0.5  # env strings are converted to the field's type
    assert settings.workspace == Path("/w")


def test_canonical_and_alias_environment_variables() -> None:
    assert env_var_for("cost.gpu_hour") == "SHIPYARD_COST_GPU_HOUR"
    settings = build_settings(env={"SHIPYARD_STORE_URI": "sqlite:///a.db", "SHIPYARD_DEBUG": "yes"})
    assert settings.store.uri == "sqlite:///a.db"
    assert settings.debug is True


def test_unknown_key_in_file_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as caught:
        build_settings(file={"stroe": {"uri": "x"}}, file_label="/w/.shipyard/config.toml")
    assert "unknown setting 'stroe.uri' in /w/.shipyard/config.toml" in caught.value.message
    assert caught.value.hint == "did you mean 'store.uri'?"


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"file": {"cost": {"cpu_hour": "cheap"}}}, "setting cost.cpu_hour from config file"),
        ({"env": {"SHIPYARD_COST_GPU_HOUR": "-1"}}, "environment variable SHIPYARD_COST_GPU_HOUR"),
        ({"env": {"SHIPYARD_DEBUG": "maybe"}}, "expected true or false"),
        ({"file": {"store": {"uri": 5}}}, "expected text"),
        ({"file": {"cost": {"cpu_hour": True}}}, "expected a number"),
        ({"file": {"workspace": "/elsewhere"}}, "unknown setting 'workspace'"),
    ],
)
def test_bad_values_name_the_setting_and_its_source(layer: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_settings(**layer)


def test_a_token_in_the_committed_config_file_is_refused() -> None:
    with pytest.raises(ConfigError, match="must not hold an API token") as caught:
        build_settings(file={"client": {"token": "shy_x"}})
    assert "shy_x" not in caught.value.one_line()
    assert build_settings(env={"SHIPYARD_TOKEN": "shy_x"}).client.token == "shy_x"


def test_every_key_has_a_type() -> None:
    keys = setting_keys()
    assert keys["store.uri"] is str
    assert keys["cost.cpu_hour"] is float
    assert "debug" in keys
