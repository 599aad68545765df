"""``data add``: store a file or folder, write its pointer, record the version.

For each path: list what is on disk, take every digest the stat cache still
vouches for, store the rest (small files in packs through ``put_files``,
large ones streamed and chunked once through ``put_stream``), re-check that
no file changed meanwhile, store the folder's listing and the tabular files'
profiles, then record every new version in the metadata store in **one**
transaction, and only then write the pointer files and ``.gitignore`` lines.
A failure at any step leaves the work tree and the metadata as they were
(objects already stored are unreferenced, and ``gc`` collects them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard.core.digest import Digest
from shipyard.core.errors import Conflict, InvalidInput, NotFound
from shipyard.core.relpath import check_relpaths
from shipyard.data.gitignore import ignore_in_git
from shipyard.data.pointer import POINTER_SUFFIX, Pointer
from shipyard.data.profiles import StoredProfile, is_tabular, profile_and_store, why_no_profiles
from shipyard.data.records import NewVersion
from shipyard.data.scan import ScannedFile
from shipyard.data.statcache import FileStat
from shipyard.data.tree import ProfileIndex, Tree, TreeFile
from shipyard.data.workspace import DataWorkspace, cache_key
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats

__all__ = ["AddResult", "add_paths"]

#: New tabular files profiled per folder and command; more are left unprofiled (noted).
MAX_NEW_PROFILES = 200


@dataclass
class AddResult:
    name: str
    kind: str
    digest: Digest
    size: int
    files: int
    rows: int | None
    changed: bool
    """True when the pointer now names new content."""
    version: int | None = None
    hashed: int = 0
    """Files read and hashed (the rest came from the stat cache)."""
    stored_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "digest": self.digest.hex, "size": self.size,
            "files": self.files, "rows": self.rows, "changed": self.changed,
            "version": self.version, "hashed": self.hashed, "stored_bytes": self.stored_bytes,
            "notes": self.notes,
        }  # fmt: skip


@dataclass
class _Prepared:
    result: AddResult
    pointer: Pointer
    cache_entries: list[tuple[str, FileStat, str]]


def add_paths(
    ws: DataWorkspace,
    paths: list[str],
    *,
    message: str = "",
    profile: bool = True,
    progress: Progress | None = None,
) -> list[AddResult]:
    """Add every path (see the module docstring); returns one result per path."""
    progress = progress or NO_PROGRESS
    if not paths:
        raise InvalidInput("name at least one file or folder to add")
    names = []
    for given in paths:
        name = ws.name_of(given)
        if name not in names:
            names.append(name)
    for name in names:
        _check_addable(ws, name, names)
    commit = ws.repo.head() if ws.in_git else None
    prepared = [_prepare(ws, name, profile=profile, progress=progress) for name in names]
    # An unchanged path whose version this workspace recorded already needs no
    # metadata round trip (nor the database layer's import): the stat cache
    # remembers which versions went into which metadata store.
    store_key = f"{ws.ctx.metadata_uri}#{ws.project}"
    todo = []
    for item in prepared:
        known = None
        if not item.result.changed and not message:
            known = ws.cache.recorded(store_key, item.pointer.name, item.pointer.digest.hex)
        if known is None:
            todo.append(item)
        else:
            item.result.version = known
    if todo:
        versions = ws.records.register(
            ws.ctx.principal,
            ws.project,
            [
                NewVersion(
                    name=p.pointer.name,
                    kind=p.pointer.kind,
                    digest=p.pointer.digest,
                    size=p.pointer.size,
                    files=p.pointer.files,
                    rows=p.pointer.rows,
                    profile_digest=p.pointer.profile,
                    git_commit=commit,
                    message=message,
                )
                for p in todo
            ],
        )
        for item, version in zip(todo, versions, strict=True):
            item.result.version = version.version
        ws.cache.remember_recorded(store_key, [(v.name, v.digest.hex, v.version) for v in versions])
    for item in prepared:
        _finish(ws, item)
    return [p.result for p in prepared]


def _check_addable(ws: DataWorkspace, name: str, names: list[str]) -> None:
    parts = name.split("/")
    for i in range(1, len(parts)):
        parent = "/".join(parts[:i])
        if ws.pointer_file(parent).is_file() or parent in names:
            raise Conflict(
                f"{name} is inside {parent}, which is tracked as a whole",
                hint=f"add {parent} again to record its new content",
            )
    if ws.in_git and ws.repo.is_tracked(name):
        raise Conflict(
            f"git tracks {name} already",
            hint=f"stop tracking it in git first: git rm -r --cached {name}",
        )


def _prepare(ws: DataWorkspace, name: str, *, profile: bool, progress: Progress) -> _Prepared:
    scanned = ws.scan(name)
    if scanned is None:
        raise NotFound(f"{name} does not exist", hint="check the path")
    kind, files = scanned
    if kind == "directory":
        # What could not be checked out again is refused now, not at the next pull.
        check_relpaths((f.rel for f in files), what=f"file in {name}")
        nested = [f.rel for f in files if f.rel.endswith(POINTER_SUFFIX)]
        if nested:
            raise Conflict(
                f"{name} holds tracked data ({name}/{nested[0]})",
                hint="track the folder's parts one by one, or remove their pointers first",
            )
    digests, todo = _from_cache(ws, name, files)
    tree: Tree | None = None
    if not todo:
        tree = _tree(files, digests)
    hashed = stored = 0
    if tree is None or not _listing_vouches(ws, name, kind, tree):
        hashed, stored = _store_files(ws, files, digests, todo, progress)
    if tree is None:
        tree = _tree(files, digests)
    result = AddResult(name, kind, Digest("0" * 64), 0, len(files), None, changed=False)
    result.hashed, result.stored_bytes = hashed, stored

    profiles: dict[str, StoredProfile] = {}
    if profile:
        profiles = _profiles(ws, name, files, digests, result.notes)
    rows: int | None
    if kind == "file":
        digest = digests[""]
        stored_profile = profiles.get("")
        profile_digest = stored_profile.digest if stored_profile else None
        rows = stored_profile.rows if stored_profile else None
    else:
        digest, data = tree.identity
        ws.store.put_bytes(data)  # after every file: a stored listing vouches for them
        profile_digest, rows = None, None
        if profiles:
            index = ProfileIndex({p: (s.digest, s.rows) for p, s in profiles.items()})
            profile_digest = ws.store.put_bytes(index.to_bytes()).digest
            rows = index.rows
    pointer = Pointer(
        name=name, kind=kind, digest=digest, size=tree.size, files=len(files), rows=rows,
        profile=profile_digest,
    )  # fmt: skip
    before = _readable_pointer(ws, name)
    result.digest, result.size, result.rows = digest, tree.size, rows
    result.changed = before is None or before.digest != digest
    entries = [(cache_key(name, f.rel), f.stat, digests[f.rel].hex) for f in todo]
    return _Prepared(result, pointer, entries)


def _tree(files: list[ScannedFile], digests: dict[str, Digest]) -> Tree:
    return Tree(tuple(TreeFile(f.rel, digests[f.rel], f.stat.size) for f in files))


def _from_cache(
    ws: DataWorkspace, name: str, files: list[ScannedFile]
) -> tuple[dict[str, Digest], list[ScannedFile]]:
    """Digests the stat cache vouches for, and the files it does not know (to read)."""
    known = ws.cache.lookup(name)
    digests: dict[str, Digest] = {}
    todo: list[ScannedFile] = []
    for f in files:
        hit = known.get(cache_key(name, f.rel))
        if hit is not None and hit[0] == f.stat:
            digests[f.rel] = Digest(hit[1])
        else:
            todo.append(f)
    return digests, todo


def _store_files(
    ws: DataWorkspace,
    files: list[ScannedFile],
    digests: dict[str, Digest],
    todo: list[ScannedFile],
    progress: Progress,
) -> tuple[int, int]:
    """Store what the store lacks, completing ``digests``; (files read, bytes stored).

    Files in ``todo`` are read; the others (digests from the stat cache) are
    read again only if the store has lost their content.
    """
    store = ws.store
    if digests:
        lacking = store.missing(set(digests.values()))
        if lacking:
            again = [f for f in files if digests.get(f.rel) in lacking]
            for f in again:
                del digests[f.rel]
            todo.extend(again)
    stats = TransferStats()
    threshold = store.chunking.threshold
    small = [f for f in todo if f.stat.size <= threshold]
    large = [f for f in todo if f.stat.size > threshold]
    if small:
        refs = store.put_files(
            [f.path for f in small],
            progress=progress,
            stats=stats,
            sizes=[f.stat.size for f in small],
        )
        for f, ref in zip(small, refs, strict=True):
            digests[f.rel] = ref.digest
            if ref.size != f.stat.size:
                raise _changed(f)
    stored = stats.bytes
    for f in large:
        try:
            handle = open(f.path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InvalidInput(f"cannot read {f.path}: {exc.strerror or exc}") from None
        with handle:
            ref = store.put_stream(handle, progress=progress)
        digests[f.rel] = ref.digest
        stored += ref.size
        if ref.size != f.stat.size:
            raise _changed(f)
    for f in todo:
        try:
            now = FileStat.of(os.stat(f.path))
        except OSError:
            raise _changed(f) from None
        if now != f.stat:
            raise _changed(f)
    return len(todo), stored


def _listing_vouches(ws: DataWorkspace, name: str, kind: str, tree: Tree) -> bool:
    """True when the data is the pointer's version and the store holds its listing.

    A listing is written only after every file in it, and gc keeps or drops
    them together, so a stored listing vouches for its files (as a manifest
    does for its chunks): re-adding an unchanged folder asks nothing per file.
    """
    if kind != "directory":
        return False
    pointer = _readable_pointer(ws, name)
    if pointer is None or pointer.kind != "directory":
        return False
    return tree.identity[0] == pointer.digest and ws.store.has(pointer.digest)


def _readable_pointer(ws: DataWorkspace, name: str) -> Pointer | None:
    """The current pointer, or None if there is none or it is unreadable (add replaces it)."""
    try:
        return ws.pointer(name)
    except InvalidInput:
        return None


def _changed(f: ScannedFile) -> InvalidInput:
    return InvalidInput(
        f"{f.path} changed while it was being added; nothing was recorded",
        hint="add it again once nothing is writing to it",
    )


def _profiles(
    ws: DataWorkspace,
    name: str,
    files: list[ScannedFile],
    digests: dict[str, Digest],
    notes: list[str],
) -> dict[str, StoredProfile]:
    tabular = [f for f in files if is_tabular(f.rel or name)]
    if tabular and (why := why_no_profiles()):
        notes.append(why)  # one note, not one per file
        return {}
    out: dict[str, StoredProfile] = {}
    fresh = 0
    for f in tabular:
        digest = digests[f.rel]
        if ws.cache.profile_of(digest.hex) is None:
            if fresh >= MAX_NEW_PROFILES:
                notes.append(
                    f"profiled {MAX_NEW_PROFILES} new tables; the other tabular files have none"
                )
                break
            fresh += 1
        stored, why = profile_and_store(ws.store, ws.cache, Path(f.path), digest)
        if stored is not None:
            out[f.rel] = stored
        elif why:
            notes.append(f"no profile for {f.rel or name}: {why}")
    return out


def _finish(ws: DataWorkspace, item: _Prepared) -> None:
    item.pointer.write(ws.pointer_file(item.pointer.name))
    ignore_in_git(ws.root, item.pointer.name)
    ws.cache.remember(item.cache_entries)
