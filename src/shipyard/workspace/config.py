"""Reading ``config.toml`` and the environment into one :class:`Settings`."""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import ConfigError
from shipyard.core.settings import Settings, build_settings
from shipyard.workspace.layout import CONFIG_FILE, DOT_DIR, WorkspaceLayout, find_workspace
from shipyard.workspace.permissions import tighten

__all__ = ["current_settings", "load_settings", "read_config_file"]

_CACHE_SIZE = 8
_cache: dict[tuple[Any, ...], Settings] = {}
_cache_lock = threading.Lock()


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


def current_settings(cwd: Path | None = None) -> Settings:
    """:func:`load_settings` for ``cwd`` and the process environment, built once per process
    while nothing it reads changes (the SDK asks on every ``start_run``).

    Built again when the workspace found above ``cwd`` changes, when its
    ``config.toml`` says anything else (its bytes are compared: a few
    microseconds, and unlike timestamps never fooled by two writes in one
    clock tick), or when any ``SHIPYARD_*`` variable is set, changed or unset.
    """
    # os.path on strings, not pathlib: this runs for every run started (~40 µs in all).
    start = here = os.getcwd() if cwd is None else str(cwd.resolve())  # getcwd: no symlinks
    root: str | None = None
    text: bytes | None = None
    while True:
        try:
            with open(os.path.join(here, DOT_DIR, CONFIG_FILE), "rb") as handle:
                root, text = here, handle.read()
            break
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass  # no workspace here: look above, as find_workspace does
        except OSError:
            root = here  # there but unreadable: load_settings says so
            break
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SHIPYARD_")))
    key = (root, text, env)
    found = _cache.get(key)
    if found is None:
        found = load_settings(Path(root or start), dict(env))
        with _cache_lock:  # SDK calls may come from several threads
            while len(_cache) >= _CACHE_SIZE:
                del _cache[next(iter(_cache))]  # the oldest
            _cache[key] = found
    return found
