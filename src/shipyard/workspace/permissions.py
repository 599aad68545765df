"""Keep ``.shipyard/`` private to its owner, however the folder came to exist.

``shipyard init`` builds the folder with mode 0700. A ``git clone`` of a
repository that commits ``.shipyard/config.toml`` creates it with the umask's
mode instead (usually 0755), and the embedded database created in it later
(password hashes after ``users add``, audit log, tokens) would be readable by
every local user. So every command that opens a workspace calls
:func:`tighten` first (a few ``stat`` calls), and ``shipyard doctor`` reports
what :func:`loose_paths` finds without changing it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from shipyard.workspace.layout import WorkspaceLayout

__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "loose_paths", "tighten"]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_OTHERS = stat.S_IRWXG | stat.S_IRWXO
_DB_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _candidates(layout: WorkspaceLayout) -> list[tuple[Path, int]]:
    db = str(layout.db_file)
    files = [(Path(db + suffix), PRIVATE_FILE_MODE) for suffix in _DB_SUFFIXES]
    return [(layout.dot_dir, PRIVATE_DIR_MODE), *files]


def loose_paths(layout: WorkspaceLayout) -> list[tuple[Path, int]]:
    """(path, mode) of the workspace's folder and database files that others may open."""
    found = []
    for path, _wanted in _candidates(layout):
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if st.st_mode & _OTHERS and not stat.S_ISLNK(st.st_mode):
            found.append((path, stat.S_IMODE(st.st_mode)))
    return found


def tighten(layout: WorkspaceLayout) -> None:
    """Make the folder 0700 and the database files 0600 where they are looser.

    Only the owner may change a mode; anything else is left for ``doctor`` to report.
    """
    wanted = dict(_candidates(layout))
    uid = os.geteuid()
    for path, _mode in loose_paths(layout):
        with contextlib.suppress(OSError):
            if os.lstat(path).st_uid == uid:
                os.chmod(path, wanted[path])
