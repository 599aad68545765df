"""``data ls``, ``data log`` and ``data show``: what is tracked, its versions, one version."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import NotFound, ShipyardError
from shipyard.data.git import Commit
from shipyard.data.pointer import POINTER_SUFFIX, Pointer
from shipyard.data.records import DatasetVersion
from shipyard.data.workspace import DataWorkspace

if TYPE_CHECKING:
    from shipyard.profiling.profile import Profile

__all__ = ["LogEntry", "Shown", "log", "ls", "show"]


def ls(ws: DataWorkspace, rev: str | None = None) -> list[Pointer]:
    """Every tracked path's pointer, in the work tree or at ``rev``."""
    return sorted(ws.pointers(rev).values(), key=lambda p: p.name)


@dataclass
class LogEntry:
    commit: Commit | None
    """None for a version in the work tree that is not committed yet."""
    pointer: Pointer | None
    """None where the commit removed the pointer."""
    version: int | None
    """The version number in the metadata store, when it was recorded there."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit.sha if self.commit else None,
            "author": self.commit.author if self.commit else None,
            "date": self.commit.date.isoformat() if self.commit else None,
            "subject": self.commit.subject if self.commit else None,
            "version": self.version,
            "pointer": self.pointer.to_dict() if self.pointer else None,
        }


def log(ws: DataWorkspace, name: str, *, limit: int = 50) -> list[LogEntry]:
    """The versions of ``name`` over git history, newest first (work tree first if newer)."""
    repo = ws.repo
    numbers = _numbers(ws, name)
    has_commits = repo.head() is not None
    commits = repo.log(name + POINTER_SUFFIX, limit=limit) if has_commits else []
    entries: list[LogEntry] = []
    current = ws.pointer(name) if ws.pointer_file(name).exists() else None
    head = ws.pointer_at("HEAD", name) if has_commits else None
    if current is not None and current != head:
        entries.append(LogEntry(None, current, numbers.get(current.digest.hex)))
    for commit in commits:
        pointer = ws.pointer_at(commit.sha, name)
        number = numbers.get(pointer.digest.hex) if pointer else None
        entries.append(LogEntry(commit, pointer, number))
    if not entries:
        raise NotFound(
            f"{name} has no versions in git history or the work tree",
            hint=f"track it with `shipyard data add {name}`, then commit {name}{POINTER_SUFFIX}",
        )
    return entries


def _numbers(ws: DataWorkspace, name: str) -> dict[str, int]:
    try:
        versions = ws.records.versions(ws.ctx.principal, ws.project, name)
    except NotFound:
        return {}
    return {v.digest.hex: v.version for v in versions}


@dataclass
class Shown:
    name: str
    pointer: Pointer
    """The tracked path's pointer (for a file inside a folder: the folder's)."""
    path: str
    """The file shown: ``name`` itself, or a file inside the tracked folder."""
    size: int
    rows: int | None
    record: DatasetVersion | None
    profile: Profile | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "size": self.size,
            "rows": self.rows,
            "pointer": self.pointer.to_dict(),
            "record": self.record.to_dict() if self.record else None,
            "profile": self.profile.to_dict() if self.profile else None,
            "note": self.note,
        }


def show(ws: DataWorkspace, given: str, *, rev: str | None = None) -> Shown:
    """A version and its profile: of a tracked path, or of a file inside a tracked folder."""
    from shipyard.data.profiles import load_profile

    name = ws.name_of(given)
    pointer, inner = owner_of(ws, name, rev)
    size, rows, profile_digest = pointer.size, pointer.rows, pointer.profile
    if pointer.kind == "directory":
        profile_digest = None
        if inner:
            entry = ws.tree(pointer).by_path().get(inner)
            if entry is None:
                raise NotFound(f"{pointer.name} has no file {inner}")
            size = entry.size
            stored = ws.profile_index(pointer).files.get(inner)
            rows, profile_digest = (stored[1], stored[0]) if stored else (None, None)
    record = None
    with contextlib.suppress(NotFound):
        record = ws.records.get(ws.ctx.principal, ws.project, pointer.name, digest=pointer.digest)
    profile, note = None, None
    if profile_digest is not None:
        try:
            profile = load_profile(ws.store, profile_digest)
        except ShipyardError as exc:
            note = f"profile not available: {exc.one_line()}"
    return Shown(pointer.name, pointer, name, size, rows, record, profile, note)


def owner_of(ws: DataWorkspace, name: str, rev: str | None) -> tuple[Pointer, str]:
    """The pointer tracking ``name`` (itself or a folder above it) and the path inside."""
    parts = name.split("/")
    for i in range(len(parts), 0, -1):
        candidate = "/".join(parts[:i])
        pointer = ws.pointer_at(rev, candidate) if rev else ws.pointer(candidate)
        if pointer is not None:
            return pointer, "/".join(parts[i:])
    where = f" at {rev}" if rev else ""
    raise NotFound(
        f"{name} is not tracked{where}", hint=f"track it with `shipyard data add {name}`"
    )
