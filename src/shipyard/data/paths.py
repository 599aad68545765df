"""Workspace paths of tracked data: resolving what a user names, finding pointer files.

A tracked path is named by its location relative to the workspace root with
``/`` separators (``data/train.parquet``); its pointer file sits beside it
(``data/train.parquet.yard``). Paths outside the workspace, inside
``.shipyard/`` or ``.git/``, and the workspace root itself are refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from shipyard.core.errors import InvalidInput
from shipyard.core.relpath import check_relpath
from shipyard.data.pointer import POINTER_SUFFIX

__all__ = ["data_path", "pointer_path", "resolve_name", "walk_pointer_names"]

_NEVER = (".shipyard", ".git")


def resolve_name(root: Path, given: str | Path, *, cwd: Path | None = None) -> str:
    """The workspace name of a path the user gave (relative to ``cwd``), checked.

    Naming the pointer (``x.yard``) names the data ``x``. Raises
    :class:`InvalidInput` for a path outside the workspace.
    """
    text = str(given)
    if not text.strip():
        raise InvalidInput("an empty path was given")
    base = cwd if cwd is not None else Path.cwd()
    path = Path(os.path.abspath(base / Path(text).expanduser()))
    root = root.resolve()
    try:
        # Resolve symlinked folders above the path, not the path itself.
        parent = path.parent.resolve()
        rel = (parent / path.name).relative_to(root)
    except ValueError:
        raise InvalidInput(
            f"{given} is outside the workspace {root}",
            hint="move or copy the data into the workspace first",
        ) from None
    name = rel.as_posix()
    if name in ("", "."):
        raise InvalidInput(
            "the workspace root itself cannot be tracked", hint="name a file or folder inside it"
        )
    if name.endswith(POINTER_SUFFIX):
        name = name[: -len(POINTER_SUFFIX)]
    first = name.split("/", 1)[0]
    if first in _NEVER:
        raise InvalidInput(f"{given} is inside {first}/, which Shipyard does not track")
    if any(part == ".." for part in name.split("/")):
        raise InvalidInput(f"{given} is outside the workspace {root}")
    return check_relpath(name, what="path")


def data_path(root: Path, name: str) -> Path:
    return root.joinpath(*name.split("/"))


def pointer_path(root: Path, name: str) -> Path:
    path = data_path(root, name)
    return path.with_name(path.name + POINTER_SUFFIX)


def walk_pointer_names(root: Path) -> list[str]:
    """Every pointer file's data name in the work tree (used outside git repositories)."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        pointers = {f[: -len(POINTER_SUFFIX)] for f in files if f.endswith(POINTER_SUFFIX)}
        found.extend(prefix + p for p in pointers)
        # Do not descend into .git, .shipyard, or tracked folders.
        dirs[:] = [d for d in dirs if d not in _NEVER and d not in pointers]
    return sorted(found)
