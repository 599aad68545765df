"""Listing what is on disk at a tracked path: one file, or every file under a folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import InvalidInput
from shipyard.data.statcache import FileStat

__all__ = ["ScannedFile", "scan_path"]

_SCRATCH = ".shipyard-tmp"


@dataclass(frozen=True, slots=True)
class ScannedFile:
    rel: str
    """Path relative to the tracked folder with ``/`` separators ('' for a tracked file)."""
    path: str
    """Where the file is (a plain string: 20,000 ``Path`` objects cost more than the walk)."""
    stat: FileStat


def scan_path(path: Path) -> tuple[str, list[ScannedFile]] | None:
    """``("file", [one])`` or ``("directory", [files sorted by path])``; None if absent.

    Symbolic links to files are followed (their content is tracked); links to
    folders are refused, since they may loop or leave the workspace.
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
    _walk(str(path), "", files)
    files.sort(key=lambda f: f.rel)
    return "directory", files


def _walk(folder: str, prefix: str, out: list[ScannedFile]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        raise InvalidInput(f"cannot read {folder}: {exc.strerror or exc}") from None
    for entry in entries:
        if entry.name.endswith(_SCRATCH):
            continue
        rel = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, rel + "/", out)
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
