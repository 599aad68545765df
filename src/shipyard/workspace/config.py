"""Reading ``config.toml`` and the environment into one :class:`Settings`."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import ConfigError
from shipyard.core.settings import Settings, build_settings
from shipyard.workspace.layout import WorkspaceLayout, find_workspace
from shipyard.workspace.permissions import tighten

__all__ = ["load_settings", "read_config_file"]


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a workspace config file; raises :class:`ConfigError` naming the file and line."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}",
            hint="fix the file by hand, or move it away and run `shipyard init` again",
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", hint="restore it from git") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def load_settings(
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    *,
    tighten_modes: bool = True,
) -> Settings:
    """Find the workspace above ``cwd`` and merge defaults < file < environment < flags.

    Having no workspace is not an error here: the caller decides whether it needs one.
    A workspace's folder is made private first (:mod:`shipyard.workspace.permissions`)
    unless ``tighten_modes`` is false (``doctor`` only reports).
    """
    start = cwd if cwd is not None else Path.cwd()
    root = find_workspace(start)
    env = os.environ if env is None else env
    if root is None:
        return build_settings(env=env, flags=flags)
    layout = WorkspaceLayout(root)
    if tighten_modes:
        tighten(layout)
    document = read_config_file(layout.config_file)
    return build_settings(
        file=document,
        file_label=str(layout.config_file),
        env=env,
        flags=flags,
        workspace=root,
    )
