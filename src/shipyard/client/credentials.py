"""Tokens saved by ``shipyard login``, one per server, in a file only the user can read.

``$XDG_CONFIG_HOME/shipyard/credentials.toml`` (default ``~/.config/…``), mode 0600.
``SHIPYARD_TOKEN`` in the environment always wins over this file.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from shipyard.core.errors import ConfigError
from shipyard.workspace.atomic import write_atomic

__all__ = ["credentials_path", "forget_token", "save_token", "saved_token"]


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "shipyard" / "credentials.toml"


def _load(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise ConfigError(
            f"{path} is not a valid credentials file",
            hint="delete it and run `shipyard login` again",
        ) from None
    servers = data.get("servers", {})
    return {
        url: str(entry.get("token", ""))
        for url, entry in servers.items()
        if isinstance(entry, dict)
    }


def _store(path: Path, tokens: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lines = ["# Written by `shipyard login`. Keep this file private.", ""]
    for url, token in sorted(tokens.items()):
        lines += [f"[servers.{json.dumps(url)}]", f"token = {json.dumps(token)}", ""]
    write_atomic(path, "\n".join(lines), mode=0o600)


def saved_token(url: str) -> str:
    """The token saved for ``url``, or an empty string."""
    return _load(credentials_path()).get(url.rstrip("/"), "")


def save_token(url: str, token: str) -> Path:
    path = credentials_path()
    tokens = _load(path)
    tokens[url.rstrip("/")] = token
    _store(path, tokens)
    return path


def forget_token(url: str) -> bool:
    path = credentials_path()
    tokens = _load(path)
    if tokens.pop(url.rstrip("/"), None) is None:
        return False
    _store(path, tokens)
    return True
