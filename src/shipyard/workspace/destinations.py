"""Where checked relative paths meet the disk: never through a link, never outside the root.

:func:`shipyard.core.relpath.check_relpath` makes sure a path *reads* as one
inside its folder. The disk can still disagree: a folder in the way may be a
symbolic link (git checks a committed link out as one), so writing
``data/linkdir/x`` would write wherever the link points. A :class:`Destinations`
joins checked paths to a trusted root and refuses any path with a symbolic link
at any level below the root, the last part included, and any path whose
resolved folder is not inside the root. Folders already checked are
remembered, so a listing of 20,000 files costs one ``lstat`` per folder.

This does not defend against a process that swaps a folder for a link while a
write is under way; such a process can already write the work tree itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from shipyard.core.errors import UnsafePath
from shipyard.core.relpath import check_relpath, shown

__all__ = ["Destinations", "refuse_links"]


class Destinations:
    """Safe destinations below one trusted ``root`` (which itself may sit under links)."""

    def __init__(self, root: Path, *, what: str = "path") -> None:
        self.root = Path(os.path.abspath(root))
        self._real_root = os.path.realpath(self.root)
        self.what = what
        self._checked: set[str] = {""}

    def path(self, rel: str) -> Path:
        """``root/rel``, or :class:`UnsafePath` naming ``rel``; nothing is created."""
        check_relpath(rel, what=self.what)
        folder, _, _ = rel.rpartition("/")
        self._check_folder(rel, folder)
        dest = self.root.joinpath(*rel.split("/"))
        if _is_link(dest):
            raise _link_error(rel, rel, self.what)
        return dest

    def _check_folder(self, rel: str, folder: str) -> None:
        if folder in self._checked:
            return
        parent, _, _ = folder.rpartition("/")
        self._check_folder(rel, parent)
        here = self.root.joinpath(*folder.split("/"))
        if _is_link(here):
            raise _link_error(rel, folder, self.what)
        if os.path.isdir(here):
            real = os.path.realpath(here)
            if os.path.commonpath([real, self._real_root]) != self._real_root:
                raise UnsafePath(
                    f"{self.what} '{shown(rel)}' lies outside {self.root}",
                    path=shown(rel),
                )
        self._checked.add(folder)


def refuse_links(root: Path, rel: str, *, what: str = "path") -> Path:
    """One destination (see :class:`Destinations`); for callers with a single path."""
    return Destinations(root, what=what).path(rel)


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def _link_error(rel: str, link: str, what: str) -> UnsafePath:
    where = "" if link == rel else f" ({shown(link)} is one)"
    return UnsafePath(
        f"{what} '{shown(rel)}' goes through a symbolic link{where}",
        path=shown(rel),
        hint="Shipyard never writes through links; replace the link with a real folder or file",
    )
