"""``data diff``: what changed in the tracked data between two revisions (or the work tree).

Datasets are compared by their pointers; folders file by file through their
stored listings. For CSV and Parquet files the stored profiles add row
counts and schema changes (columns added, removed, or whose type changed),
so a diff never reads the data itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from shipyard.core.digest import Digest
from shipyard.core.errors import NotFound
from shipyard.data.pointer import Pointer
from shipyard.data.profiles import ObjectReader, schema_of
from shipyard.data.tree import ProfileIndex, Tree
from shipyard.data.workspace import DataWorkspace

__all__ = ["DatasetDiff", "FileChange", "VersionObjects", "diff", "entries", "file_changes"]


class VersionObjects(Protocol):
    """What a diff reads of two versions: listings, profile indexes and stored profiles
    (a workspace's own store, or a project's objects on the team server)."""

    @property
    def store(self) -> ObjectReader: ...

    def tree(self, pointer: Pointer) -> Tree: ...

    def profile_index(self, pointer: Pointer) -> ProfileIndex: ...


@dataclass
class FileChange:
    path: str
    change: str
    """``added``, ``removed`` or ``modified``."""
    size_before: int | None = None
    size_after: int | None = None
    rows_before: int | None = None
    rows_after: int | None = None
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    types_changed: list[tuple[str, str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["types_changed"] = [list(t) for t in self.types_changed]
        return data


@dataclass
class DatasetDiff:
    name: str
    change: str
    kind: str
    before: Pointer | None
    after: Pointer | None
    files: list[FileChange] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "change": self.change,
            "kind": self.kind,
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            "files": [f.to_dict() for f in self.files],
            "note": self.note,
        }


def diff(
    ws: DataWorkspace,
    rev_a: str | None = None,
    rev_b: str | None = None,
    names: list[str] | None = None,
) -> list[DatasetDiff]:
    """Changes from ``rev_a`` (default HEAD) to ``rev_b`` (default: the work tree)."""
    repo = ws.repo
    side_a = rev_a or ("HEAD" if repo.head() is not None else None)
    before = ws.pointers(side_a, names) if side_a is not None else {}
    after = ws.pointers(rev_b, names)
    out = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a is not None and b is not None and a.digest == b.digest:
            continue
        change = "added" if a is None else "removed" if b is None else "modified"
        kind = (b or a).kind  # type: ignore[union-attr]
        item = DatasetDiff(name, change, kind, a, b)
        try:
            item.files = file_changes(ws, a, b)
        except NotFound as exc:
            item.note = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        out.append(item)
    return out


def entries(
    ws: VersionObjects, p: Pointer | None
) -> dict[str, tuple[Digest, int, Digest | None, int | None]]:
    """path → (digest, size, profile, rows) of a version's files (one file: path '')."""
    if p is None:
        return {}
    if p.kind == "file":
        return {"": (p.digest, p.size, p.profile, p.rows)}
    index = ws.profile_index(p) if p.profile is not None else ProfileIndex()
    out = {}
    for f in ws.tree(p):
        profile, rows = index.files.get(f.path, (None, None))
        out[f.path] = (f.digest, f.size, profile, rows)
    return out


def file_changes(ws: VersionObjects, a: Pointer | None, b: Pointer | None) -> list[FileChange]:
    """Files added, removed or modified from ``a`` to ``b``, with rows and schema changes."""
    if a is not None and b is not None and a.kind != b.kind:
        b_entries = entries(ws, b)
        prefix = {p: f"{b.name}/{p}" if p else b.name for p in b_entries}
        return [FileChange(b.name, "modified", a.size, b.size, a.rows, b.rows)] + [
            FileChange(prefix[p], "added", None, e[1], None, e[3])
            for p, e in b_entries.items()
            if p
        ]
    before, after = entries(ws, a), entries(ws, b)
    name = (b or a).name  # type: ignore[union-attr]
    changes = []
    for path in sorted(before.keys() | after.keys()):
        x, y = before.get(path), after.get(path)
        if x is not None and y is not None and x[0] == y[0]:
            continue
        label = f"{name}/{path}" if path else name
        change = FileChange(
            label,
            "added" if x is None else "removed" if y is None else "modified",
            size_before=x[1] if x else None,
            size_after=y[1] if y else None,
            rows_before=x[3] if x else None,
            rows_after=y[3] if y else None,
        )
        if x is not None and y is not None:
            _schema_changes(ws, change, x[2], y[2])
        changes.append(change)
    return changes


def _schema_changes(
    ws: VersionObjects, change: FileChange, before: Digest | None, after: Digest | None
) -> None:
    old, new = schema_of(ws.store, before), schema_of(ws.store, after)
    if old is None or new is None:
        return
    old_types, new_types = dict(old), dict(new)
    change.columns_added = [c for c, _ in new if c not in old_types]
    change.columns_removed = [c for c, _ in old if c not in new_types]
    change.types_changed = [
        (c, old_types[c], t) for c, t in new if c in old_types and old_types[c] != t
    ]
