"""``DataWorkspace``: the pieces every data operation needs, opened once per command.

It ties the context's object store and metadata records to the workspace's
files: pointer files (in the work tree or at a git revision), the stat
cache, the git repository, and the digests of what is on disk now.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound, UnsafePath
from shipyard.core.relpath import check_relpath
from shipyard.data.git import GitRepo, find_repo
from shipyard.data.paths import data_path, pointer_path, resolve_name, walk_pointer_names
from shipyard.data.pointer import POINTER_SUFFIX, Pointer, parse_pointer, read_pointer
from shipyard.data.scan import ScannedFile, scan_path, scratch_beside
from shipyard.data.statcache import StatCache
from shipyard.data.tree import ProfileIndex, Tree, TreeFile

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.data.records import DatasetRecords
    from shipyard.objects.api import ProjectObjects
    from shipyard.objects.store import ObjectStore

__all__ = ["DataWorkspace"]


class DataWorkspace:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.root = ctx.layout.root.resolve()
        self._records: DatasetRecords | None = None
        self._records_lock = threading.Lock()

    @property
    def project(self) -> str:
        return self.ctx.project

    @property
    def store(self) -> ObjectStore:
        return self.ctx.objects

    @cached_property
    def cache(self) -> StatCache:
        return StatCache(self.ctx.layout.dot_dir / "cache" / "state.db")

    @cached_property
    def _repo(self) -> GitRepo | None:
        return find_repo(self.root)

    @property
    def repo(self) -> GitRepo:
        repo = self._repo
        if repo is None:
            raise InvalidInput(
                f"{self.root} is not in a git repository",
                hint="run `git init` (data versions over revisions need git)",
            )
        return repo

    @property
    def in_git(self) -> bool:
        return self._repo is not None

    @property
    def records(self) -> DatasetRecords:
        """The metadata records, opened on first use.

        Not on a thread of its own meanwhile: its imports hold the GIL, and every
        file the caller stats or reads then waited a switch interval for it
        (measured: the 20,000-file add took 0.4 s longer that way).
        """
        with self._records_lock:
            if self._records is None:
                self._records = self._open_records()
            return self._records

    def _open_records(self) -> DatasetRecords:
        return self.ctx.open_datasets()

    def close(self) -> None:
        if "cache" in self.__dict__:
            self.cache.close()

    def __enter__(self) -> DataWorkspace:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- names and paths ------------------------------------------------------------

    def name_of(self, given: str | Path) -> str:
        return resolve_name(self.root, given)

    def path_of(self, name: str) -> Path:
        return data_path(self.root, name)

    def pointer_file(self, name: str) -> Path:
        return pointer_path(self.root, name)

    # -- pointers -----------------------------------------------------------------

    def pointer(self, name: str) -> Pointer | None:
        """The work tree's pointer of ``name``, or None when it is not tracked."""
        path = self.pointer_file(name)
        if not path.is_file():
            return None
        return read_pointer(path, name)

    def require_pointer(self, name: str, rev: str | None = None) -> Pointer:
        pointer = self.pointer(name) if rev is None else self.pointer_at(rev, name)
        if pointer is None:
            where = f" at {rev}" if rev else ""
            raise NotFound(
                f"{name} is not tracked{where} (no {name}{POINTER_SUFFIX})",
                hint=f"track it with `shipyard data add {name}`",
            )
        return pointer

    def pointer_at(self, rev: str, name: str) -> Pointer | None:
        raw = self.repo.read_file(rev, name + POINTER_SUFFIX)
        if raw is None:
            return None
        return parse_pointer(raw, name, where=f"{rev}:{name}{POINTER_SUFFIX}")

    def pointer_names(self, rev: str | None = None) -> list[str]:
        """Names of the tracked paths in the work tree, or at ``rev``."""
        if rev is None and not self.in_git:
            return walk_pointer_names(self.root)
        files = self.repo.pointer_names(rev, POINTER_SUFFIX)
        # Names come from the repository, which a stranger may have written.
        names = [check_relpath(f[: -len(POINTER_SUFFIX)], what="tracked path") for f in files]
        if rev is None:  # ls-files lists deleted-but-staged files too
            names = [n for n in names if self.pointer_file(n).is_file()]
        return names

    def pointers(
        self, rev: str | None = None, names: list[str] | None = None
    ) -> dict[str, Pointer]:
        """Pointers by name: in the work tree, or at ``rev`` (read by one git process)."""
        wanted = self.pointer_names(rev) if names is None else names
        if rev is None:
            found = {}
            for name in wanted:
                pointer = self.pointer(name)
                if pointer is not None:
                    found[name] = pointer
            return found
        raw = self.repo.read_files(rev, [n + POINTER_SUFFIX for n in wanted])
        return {
            f[: -len(POINTER_SUFFIX)]: parse_pointer(
                data, f[: -len(POINTER_SUFFIX)], where=f"{rev}:{f}"
            )
            for f, data in raw.items()
        }

    # -- stored listings --------------------------------------------------------------

    def tree(self, pointer: Pointer, store: ProjectObjects | None = None) -> Tree:
        """The file listing of a directory version (a file version is one entry, path '')."""
        if pointer.kind == "file":
            return Tree((TreeFile("", pointer.digest, pointer.size),))
        store = store or self.store
        try:
            data = store.read_bytes(pointer.digest)
        except NotFound:
            raise NotFound(
                f"the listing of {pointer.name} ({pointer.digest.short}) is not in {store.url}",
                hint="fetch it with `shipyard data pull`",
            ) from None
        try:
            return Tree.from_bytes(data, pointer.digest)
        except UnsafePath as exc:
            message = f"{pointer.name}: {exc.message}"
            raise UnsafePath(message, path=exc.path, hint=exc.hint) from None

    def profile_index(self, pointer: Pointer, store: ProjectObjects | None = None) -> ProfileIndex:
        if pointer.kind != "directory" or pointer.profile is None:
            return ProfileIndex()
        store = store or self.store
        return ProfileIndex.from_bytes(store.read_bytes(pointer.profile), pointer.profile)

    # -- what is on disk ----------------------------------------------------------------

    def scan(
        self, name: str, scratch: list[str] | None = None
    ) -> tuple[str, list[ScannedFile]] | None:
        """Kind and files of what is at ``name`` now, or None when nothing is.

        ``scratch`` (when given) receives the scratch files interrupted writes left
        at ``name`` (inside the folder, or beside the file).
        """
        path = self.path_of(name)
        if scratch is not None:
            scratch.extend(scratch_beside(path))
        return scan_path(path, scratch)

    def digests_on_disk(
        self, name: str, files: list[ScannedFile], *, remember: bool = True
    ) -> dict[str, Digest]:
        """Digest of every scanned file: from the stat cache, else hashed (nothing stored)."""
        from shipyard.objects.files import digest_file

        known = self.cache.lookup(name)
        out: dict[str, Digest] = {}
        fresh = []
        for f in files:
            key = _cache_key(name, f.rel)
            hit = known.get(key)
            if hit is not None and hit[0] == f.stat:
                out[f.rel] = Digest(hit[1])
                continue
            ref = digest_file(Path(f.path))
            out[f.rel] = ref.digest
            fresh.append((key, f.stat, ref.digest.hex))
        if remember and fresh:
            self.cache.remember(fresh)
        return out

    def current(self, name: str) -> tuple[str, Digest, Tree] | None:
        """Kind, digest and listing of the data at ``name`` on disk, or None if absent."""
        scanned = self.scan(name)
        if scanned is None:
            return None
        kind, files = scanned
        digests = self.digests_on_disk(name, files)
        tree = Tree(tuple(TreeFile(f.rel, digests[f.rel], f.stat.size) for f in files))
        if kind == "file":
            return kind, digests[""], tree
        return kind, tree.digest()[0], tree


def _cache_key(name: str, rel: str) -> str:
    return name if not rel else f"{name}/{rel}"


def cache_key(name: str, rel: str) -> str:
    return _cache_key(name, rel)


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_ino, b.st_size, b.st_mtime_ns)
