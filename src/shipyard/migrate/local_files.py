"""Artifact folders of an MLflow store on this machine: where they are, what they hold.

A store's metadata is untrusted text: an artifact location is only ever read,
links are never followed, and a path that cannot be read is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from shipyard.migrate.records import ArtifactFile

__all__ = ["local_folder", "walk_files"]


def local_folder(uri: str, base: Path) -> Path | None:
    """The folder a ``file:`` URI or plain path names (relative ones from ``base``),
    or None for a location elsewhere (``s3://``, ``mlflow-artifacts:``…)."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
    elif parsed.scheme and len(parsed.scheme) > 1:  # a one-letter scheme is a drive
        return None
    else:
        path = Path(uri)
    return path if path.is_absolute() else base / path


def walk_files(root: Path | None, prefix: str = "") -> Iterator[ArtifactFile]:
    """Regular files under ``root`` in a stable order, as artifacts under ``prefix``;
    symbolic links (to files or folders) are skipped, never followed."""
    if root is None or root.is_symlink() or not root.is_dir():
        return
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        here = Path(folder)
        for name in sorted(files):
            path = here / name
            if path.is_symlink() or not path.is_file():
                continue
            relative = path.relative_to(root).as_posix()
            yield ArtifactFile(path=f"{prefix}{relative}", size=path.stat().st_size, local=path)
