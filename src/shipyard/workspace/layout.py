"""Where things live inside a workspace, and how a command finds its workspace.

Like git, a command run in any sub-folder walks up until it meets a folder
holding ``.shipyard/config.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CONFIG_FILE", "DB_FILE", "DOT_DIR", "WorkspaceLayout", "find_workspace"]

DOT_DIR = ".shipyard"
CONFIG_FILE = "config.toml"
DB_FILE = "shipyard.db"


@dataclass(frozen=True)
class WorkspaceLayout:
    """The paths of one workspace rooted at ``root``."""

    root: Path

    @property
    def dot_dir(self) -> Path:
        return self.root / DOT_DIR

    @property
    def config_file(self) -> Path:
        return self.dot_dir / CONFIG_FILE

    @property
    def db_file(self) -> Path:
        return self.dot_dir / DB_FILE

    @property
    def keys_dir(self) -> Path:
        """Model-signing keys: this workspace's pair and the public keys it trusts."""
        return self.dot_dir / "keys"

    @property
    def tmp_dir(self) -> Path:
        return self.dot_dir / "tmp"

    def objects_dir(self, configured: str) -> Path:
        """The object folder for the configured ``objects.path`` (relative to ``.shipyard/``)."""
        path = Path(configured).expanduser()
        return path if path.is_absolute() else self.dot_dir / path

    @property
    def embedded_uri(self) -> str:
        return f"sqlite:///{self.db_file}"


def find_workspace(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds a workspace, or None."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / DOT_DIR / CONFIG_FILE).is_file():
            return folder
    return None
