"""Listing what is on disk at a tracked path: one file, or every file under a folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import InvalidInput
from shipyard.core.relpath import is_reserved
from shipyard.data.statcache import FileStat
from shipyard.objects.leftovers import SCRATCH_SUFFIX, is_scratch_name

__all__ = ["ScannedFile", "scan_path", "scratch_beside"]


@dataclass(frozen=True, slots=True)
class ScannedFile:
    rel: str
    """Path relative to the tracked folder with ``/`` separators ('' for a tracked file)."""
    path: str
    """Where the file is (a plain string: 20,000 ``Path`` objects cost more than the walk)."""
    stat: FileStat


def scan_path(path: Path, scratch: list[str] | None = None) -> tuple[str, list[ScannedFile]] | None:
    """``("file", [one])`` or ``("directory", [files sorted by path])``; None if absent.

    Symbolic links to files are followed (their content is tracked); links to
    folders are refused, since they may loop or leave the workspace. ``.git``
    and ``.shipyard`` folders inside are skipped, as git skips them. Scratch
    files of interrupted writes are never listed; inside a folder they are
    added to ``scratch`` when it is given.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if os.path.isfile(path):
        return "file", [ScannedFile("", str(path), FileStat.of(st))]
    if not os.path.isdir(path):
        raise InvalidInput(f"{path} is neither a file nor a folder")
    files: list[ScannedFile] = []
    _walk(str(path), "", files, scratch if scratch is not None else [])
    files.sort(key=lambda f: f.rel)
    return "directory", files


def scratch_beside(path: Path) -> list[str]:
    """Scratch files an interrupted write of ``path`` itself left in its folder."""
    start = f".{path.name}."
    try:
        with os.scandir(path.parent) as entries:
            return [e.path for e in entries if e.name.startswith(start) and is_scratch_name(e.name)]
    except OSError:
        return []


def _walk(folder: str, prefix: str, out: list[ScannedFile], scratch: list[str]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        raise InvalidInput(f"cannot read {folder}: {exc.strerror or exc}") from None
    for entry in entries:
        if entry.name.endswith(SCRATCH_SUFFIX):
            if is_scratch_name(entry.name):
                scratch.append(entry.path)
            continue
        if is_reserved(entry.name):
            continue  # a nested repository's .git (or a workspace) is never data
        rel = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, rel + "/", out, scratch)
            continue
        if entry.is_symlink() and entry.is_dir():
            raise InvalidInput(
                f"{entry.path} links to a folder, which Shipyard does not follow",
                hint="replace the link by the folder, or track the folder it points to",
            )
        try:
            st = entry.stat()
        except FileNotFoundError:  # a broken link, or removed while listing
            raise InvalidInput(
                f"{entry.path} disappeared or is a broken link",
                hint="add the folder again once nothing is writing to it",
            ) from None
        if not entry.is_file():
            raise InvalidInput(f"{entry.path} is not a regular file (socket, fifo or device)")
        out.append(ScannedFile(rel, entry.path, FileStat.of(st)))
