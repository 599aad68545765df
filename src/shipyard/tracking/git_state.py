"""The git state of the code a run runs: commit, branch, dirty flag, digest of the changes.

Read once per process and folder (a process's code is what it imported at start,
so later edits do not change what it runs): one ``git status --porcelain=v2
--branch``, and ``git diff HEAD`` only when the tree is dirty. Outside a
repository, or without git, every field is None.
"""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from pathlib import Path

import blake3

from shipyard.tracking.entities import GitState

__all__ = ["capture_git_state", "diff_digest"]

_TIMEOUT_S = 20


def capture_git_state(folder: Path) -> GitState:
    """The git state of the repository holding ``folder`` (cached per process)."""
    return _capture(str(folder.resolve()))


@lru_cache(maxsize=16)
def _capture(folder: str) -> GitState:
    status = _git(folder, "status", "--porcelain=v2", "--branch", "-z")
    if status is None:
        return GitState()
    commit: str | None = None
    branch: str | None = None
    changed: list[bytes] = []
    untracked: list[bytes] = []
    for entry in status.split(b"\0"):
        if entry.startswith(b"# branch.oid "):
            oid = entry.split(b" ", 2)[2].decode()
            commit = None if oid == "(initial)" else oid
        elif entry.startswith(b"# branch.head "):
            head = entry.split(b" ", 2)[2].decode(errors="replace")
            branch = None if head == "(detached)" else head
        elif entry.startswith(b"? "):
            untracked.append(entry[2:])
        elif entry and not entry.startswith(b"#"):
            changed.append(entry)
    dirty = bool(changed or untracked)
    digest = None
    if dirty:
        diff = _git(folder, "diff", "HEAD", "--binary") if commit else b""
        digest = diff_digest(diff or b"", untracked, root=_toplevel(folder))
    return GitState(commit=commit, branch=branch, dirty=dirty, diff_digest=digest)


def diff_digest(diff: bytes, untracked: list[bytes], root: Path | None) -> str:
    """BLAKE3 of the tracked changes plus each untracked file's name and size."""
    hasher = blake3.blake3(diff)
    for name in sorted(untracked):
        size = -1
        if root is not None:
            try:
                size = (root / os.fsdecode(name)).stat().st_size
            except OSError:
                size = -1
        hasher.update(b"\0untracked\0" + name + b"\0" + str(size).encode())
    return str(hasher.hexdigest())


def _toplevel(folder: str) -> Path | None:
    out = _git(folder, "rev-parse", "--show-toplevel")
    return Path(out.decode().strip()) if out else None


def _git(folder: str, *args: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=folder,
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
