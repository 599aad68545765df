"""``data checkout``: make the work tree hold exactly what the pointers name.

For every path: read the pointer (in the work tree, or at ``--rev``), make
sure the local store holds every object it needs (else name the first
missing one and suggest ``pull``, before writing anything), compare what is
on disk with both the work tree's pointer and the target, and refuse to
overwrite or delete anything that is neither (unsaved local changes) unless
``force``. Then write the files that differ (see :mod:`linking`), delete
the files the target lacks, write the revision's pointer file into the work
tree, and remember the new files in the stat cache.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.core.digest import Digest
from shipyard.core.errors import Conflict, NotFound
from shipyard.data.gitignore import ignore_in_git
from shipyard.data.linking import Linker
from shipyard.data.pointer import Pointer
from shipyard.data.statcache import FileStat
from shipyard.data.tree import Tree
from shipyard.data.workspace import DataWorkspace, cache_key
from shipyard.objects.progress import NO_PROGRESS, Progress
from shipyard.workspace.destinations import Destinations

__all__ = ["CheckoutResult", "checkout", "require_objects"]


@dataclass
class CheckoutResult:
    name: str
    kind: str
    digest: Digest
    written: int
    removed: int
    pointer_updated: bool

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed or self.pointer_updated)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "digest": self.digest.hex,
                "written": self.written, "removed": self.removed,
                "pointer_updated": self.pointer_updated}  # fmt: skip


@dataclass
class _Plan:
    target: Pointer
    tree: Tree
    write: list[tuple[Digest, str, Path]]
    """(content, path in the tracked folder, checked destination)."""
    remove: list[Path]
    scratch: list[str]
    """Scratch files of an interrupted earlier checkout: removed."""
    replace_kind: bool
    """What is on disk is a file where a folder goes, or the reverse."""


def checkout(
    ws: DataWorkspace,
    names: list[str] | None = None,
    *,
    rev: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> list[CheckoutResult]:
    progress = progress or NO_PROGRESS
    targets = {n: ws.require_pointer(n, rev) for n in names} if names else ws.pointers(rev)
    # Every destination is checked while planning, so a bad one stops the checkout
    # before anything is written or deleted.
    destinations = Destinations(ws.root, what="destination")
    plans = [_plan(ws, pointer, destinations, force=force) for pointer in targets.values()]
    require_objects(ws, [p.target for p in plans], [p.tree for p in plans], rev)
    linker = Linker(ws.store, ws.ctx.layout.dot_dir / "cache" / "files", ws.ctx.settings.data.link)
    return [_apply(ws, plan, linker, rev, progress) for plan in plans]


def require_objects(
    ws: DataWorkspace, pointers: list[Pointer], trees: list[Tree], rev: str | None
) -> None:
    """Raise :class:`NotFound` naming the first object the local store lacks."""
    wanted: dict[Digest, str] = {}
    for pointer, tree in zip(pointers, trees, strict=True):
        for f in tree:
            wanted.setdefault(f.digest, f"{pointer.name}/{f.path}" if f.path else pointer.name)
    lacking = ws.store.missing(wanted)
    if lacking:
        first = min(lacking, key=lambda d: wanted[d])
        more = f" and {len(lacking) - 1} more object(s)" if len(lacking) > 1 else ""
        at = f" --rev {rev}" if rev else ""
        raise NotFound(
            f"{wanted[first]} ({first.short}){more} is not in the local object store",
            hint=f"fetch it with `shipyard data pull{at}`; nothing was changed",
        )


def _plan(ws: DataWorkspace, target: Pointer, destinations: Destinations, *, force: bool) -> _Plan:
    name = target.name
    destinations.path(name)  # before the scan: a link here must not be followed
    tree = ws.tree(target)
    wanted = tree.by_path()
    base = ws.pointer(name)
    base_files: dict[str, Digest] | None = None
    if base is not None:
        with contextlib.suppress(NotFound):
            base_files = {f.path: f.digest for f in ws.tree(base)}
    scratch: list[str] = []
    scanned = ws.scan(name, scratch)
    on_disk: dict[str, Digest] = {}
    replace_kind = False
    if scanned is not None:
        kind, files = scanned
        on_disk = ws.digests_on_disk(name, files)
        replace_kind = kind != target.kind
    conflicts = []
    for path, digest in on_disk.items():
        goal = wanted.get(path) if not replace_kind else None
        if goal is not None and goal.digest == digest:
            continue
        tracked = base_files is not None and base_files.get(path) == digest
        if not tracked:
            conflicts.append(f"{name}/{path}" if path else name)
    if conflicts and not force:
        more = f" and {len(conflicts) - 1} more" if len(conflicts) > 1 else ""
        raise Conflict(
            f"{conflicts[0]}{more} has local changes that checkout would overwrite",
            hint=f"save them with `shipyard data add {name}`, or pass --force to discard them",
        )
    write = [
        (f.digest, f.path, _dest(destinations, name, f.path))
        for f in tree
        if replace_kind or on_disk.get(f.path) != f.digest
    ]
    remove = (
        [] if replace_kind else [_dest(destinations, name, p) for p in on_disk if p not in wanted]
    )
    return _Plan(target, tree, write, remove, scratch, replace_kind)


def _apply(
    ws: DataWorkspace, plan: _Plan, linker: Linker, rev: str | None, progress: Progress
) -> CheckoutResult:
    name = plan.target.name
    root = ws.path_of(name)
    if plan.replace_kind:
        _remove_any(root)
    linker.materialise([(digest, dest) for digest, _, dest in plan.write], progress=progress)
    for dest in plan.remove:
        dest.unlink(missing_ok=True)
    for leftover in plan.scratch:
        with contextlib.suppress(OSError):
            os.unlink(leftover)
    if plan.remove and plan.target.kind == "directory":
        _prune_empty(root)
    if plan.target.kind == "directory" and not plan.tree.files:
        root.mkdir(parents=True, exist_ok=True)
    entries = []
    for digest, rel, dest in plan.write:
        with contextlib.suppress(OSError):
            entries.append((cache_key(name, rel), FileStat.of(os.stat(dest)), digest.hex))
    ws.cache.remember(entries)
    updated = False
    current = ws.pointer(name) if ws.pointer_file(name).exists() else None
    if current != plan.target:
        plan.target.write(ws.pointer_file(name))
        ignore_in_git(ws.root, name)
        updated = True
    return CheckoutResult(
        name, plan.target.kind, plan.target.digest, len(plan.write), len(plan.remove), updated
    )


def _dest(destinations: Destinations, name: str, rel: str) -> Path:
    return destinations.path(f"{name}/{rel}" if rel else name)


def _remove_any(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _prune_empty(root: Path) -> None:
    for folder, _dirs, _files in sorted(os.walk(root), key=lambda x: -len(x[0])):
        if Path(folder) != root:
            with contextlib.suppress(OSError):
                os.rmdir(folder)
