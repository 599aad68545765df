"""``data push``, ``data pull`` and ``data get``: moving versions between stores.

Every transfer is :func:`shipyard.objects.copy_objects`: it asks the
destination in bulk what it lacks, copies only that, in parallel, packing
small files, with manifests last, so an interrupted transfer leaves only
complete objects and running it again copies the rest. What a version
needs: its content (the file, or the folder's listing and every file in
it) and its profiles.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.core.digest import Digest
from shipyard.core.errors import AlreadyExists, InvalidInput, NotFound
from shipyard.core.relpath import check_relpath
from shipyard.data.checkouts import CheckoutResult, checkout
from shipyard.data.pointer import POINTER_SUFFIX, Pointer, parse_pointer
from shipyard.data.remotes import Remote, open_data_remote, resolve_remote
from shipyard.data.tree import Tree
from shipyard.data.workspace import DataWorkspace
from shipyard.objects.api import ProjectObjects
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
from shipyard.objects.transfer import copy_objects
from shipyard.workspace.destinations import Destinations
from shipyard.workspace.layout import CONFIG_FILE, DOT_DIR

__all__ = ["GetResult", "SyncResult", "get", "pull", "push"]

CONFIG_PATH = f"{DOT_DIR}/{CONFIG_FILE}"


@dataclass
class SyncResult:
    remote: str
    paths: list[str]
    stats: TransferStats
    checkout: list[CheckoutResult]
    remote_requests: int = 0
    """Requests made to the remote alone (``stats.requests`` counts both sides)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "paths": self.paths,
            **self.stats.to_dict(),
            "remote_requests": self.remote_requests,
            "checkout": [c.to_dict() for c in self.checkout],
        }


def _top_level(pointers: list[Pointer]) -> set[Digest]:
    digests = set()
    for p in pointers:
        digests.add(p.digest)
        if p.profile is not None:
            digests.add(p.profile)
    return digests


def _contents(ws: DataWorkspace, pointers: list[Pointer], store: ProjectObjects) -> set[Digest]:
    """Every object the versions need, reading folder listings from ``store``."""
    digests = _top_level(pointers)
    for p in pointers:
        if p.kind != "directory":
            continue
        digests.update(f.digest for f in ws.tree(p, store))
        for profile, _rows in ws.profile_index(p, store).files.values():
            digests.add(profile)
    return digests


def _pointers(ws: DataWorkspace, names: list[str] | None, rev: str | None) -> list[Pointer]:
    if names:
        return [ws.require_pointer(n, rev) for n in names]
    return list(ws.pointers(rev).values())


def push(
    ws: DataWorkspace,
    names: list[str] | None = None,
    *,
    remote: str | None = None,
    rev: str | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Copy the versions the pointers name (work tree, or at ``rev``) to the remote."""
    target = resolve_remote(ws.ctx.settings, remote, root=ws.root)
    pointers = _pointers(ws, names, rev)
    digests = _contents(ws, pointers, ws.store)
    lacking = ws.store.missing(digests)
    if lacking:
        raise NotFound(
            f"the local store lacks {len(lacking)} object(s) these versions need "
            f"(e.g. {min(lacking).hex}); nothing was pushed",
            hint="fetch them with `shipyard data pull`, or add the data again",
        )
    with open_data_remote(ws.ctx, target, create=True) as store:
        stats = copy_objects(ws.store, store, digests, progress=progress or NO_PROGRESS)
        requests = store.requests
    ws.cache.remember_pushed(target.key, [p.digest.hex for p in pointers])
    return SyncResult(target.label, [p.name for p in pointers], stats, [], requests)


def pull(
    ws: DataWorkspace,
    names: list[str] | None = None,
    *,
    remote: str | None = None,
    rev: str | None = None,
    run_checkout: bool = True,
    force: bool = False,
    progress: Progress | None = None,
) -> SyncResult:
    """Fetch the versions the pointers name from the remote, then check them out."""
    progress = progress or NO_PROGRESS
    target = resolve_remote(ws.ctx.settings, remote, root=ws.root)
    pointers = _pointers(ws, names, rev)
    with open_data_remote(ws.ctx, target) as store:
        try:
            stats = copy_objects(store, ws.store, _top_level(pointers), progress=progress)
            needed = _contents(ws, pointers, ws.store)
            more = copy_objects(store, ws.store, needed, progress=progress)
            requests = store.requests
        except NotFound as exc:
            raise NotFound(
                f"remote {target.label} lacks data the pointers name: {exc.message}",
                hint="push it from the workspace where it was added; nothing was checked out",
            ) from None
    for field in ("objects", "bytes", "skipped", "skipped_bytes", "packs", "requests"):
        setattr(stats, field, getattr(stats, field) + getattr(more, field))
    ws.cache.remember_pushed(target.key, [p.digest.hex for p in pointers])
    done: list[CheckoutResult] = []
    if run_checkout:
        done = checkout(ws, [p.name for p in pointers], rev=rev, force=force, progress=progress)
    return SyncResult(target.label, [p.name for p in pointers], stats, done, requests)


@dataclass
class GetResult:
    repo: str
    name: str
    rev: str
    remote: str
    dest: Path
    kind: str
    digest: Digest
    size: int
    files: int

    def to_dict(self) -> dict[str, Any]:
        return {"repo": self.repo, "name": self.name, "rev": self.rev, "remote": self.remote,
                "dest": str(self.dest), "kind": self.kind, "digest": self.digest.hex,
                "size": self.size, "files": self.files}  # fmt: skip


def get(
    repo: str,
    path: str,
    *,
    rev: str | None = None,
    out: Path | None = None,
    remote: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> GetResult:
    """Fetch one version of ``path`` from another repository's default remote.

    ``repo`` is a local repository folder or a git URL; only the pointer at
    ``rev`` and that repository's ``.shipyard/config.toml`` *as it is today*
    are read (a URL is fetched shallow and without file contents). Remotes say
    where data lives now, so an old revision is fetched from today's remotes:
    a local repository's work-tree config (else HEAD's), a URL's default branch.
    """
    from shipyard.context import Context
    from shipyard.core.settings import build_settings
    from shipyard.data.git import TODAY_REF, WANTED_REF, GitRepo, clone_for_reading, find_repo

    progress = progress or NO_PROGRESS
    name = path.strip().strip("/")
    if name.endswith(POINTER_SUFFIX):
        name = name[: -len(POINTER_SUFFIX)]
    check_relpath(name, what="path in the repository")
    with tempfile.TemporaryDirectory(prefix="shipyard-get-") as scratch:
        local = Path(repo).expanduser()
        if local.is_dir():
            git = find_repo(local.resolve())
            if git is None:
                raise InvalidInput(f"{repo} is not a git repository")
            base = local.resolve()
            git = GitRepo(git.top, git.top)
            revision, today = rev or "HEAD", "HEAD"
            config = _work_tree_config(git.top)
        else:
            bare = clone_for_reading(repo, rev, Path(scratch) / "repo.git")
            git = GitRepo(bare, bare)
            base = None
            revision, today = (WANTED_REF if rev else TODAY_REF), TODAY_REF
            config = None
        raw = git.read_file(revision, name + POINTER_SUFFIX)
        if config is None:
            config = git.read_file(today, CONFIG_PATH)
        if raw is None:
            raise NotFound(
                f"{repo} does not track {name} at {rev or 'HEAD'}",
                hint=f"list what it tracks with `shipyard data ls {repo}`",
            )
        pointer = parse_pointer(raw, name, where=f"{repo}@{rev or 'HEAD'}:{name}{POINTER_SUFFIX}")
        settings = build_settings(
            file=_toml(config, repo, remote),
            file_label=f"{repo}:{CONFIG_PATH}",
            env=os.environ,
        )
    if base is None:
        base = Path.cwd()
    target: Remote = resolve_remote(settings, remote, root=base)
    dest = (out or Path(pointer.basename)).expanduser()
    if dest.exists() and not force:
        raise AlreadyExists(f"{dest} exists already", hint="pass -o PATH, or --force to replace it")
    ctx = Context(settings)
    with open_data_remote(ctx, target) as store:
        _materialise(store, pointer, dest, progress)
    return GetResult(
        repo, name, rev or "HEAD", target.label, dest, pointer.kind, pointer.digest,
        pointer.size, pointer.files,
    )  # fmt: skip


def _work_tree_config(top: Path) -> bytes | None:
    """A checkout's config as it is now (``remote add`` may not be committed yet)."""
    path = top / CONFIG_PATH
    if path.is_symlink() or not path.is_file():
        return None  # a link could name any file: read the committed one instead
    return path.read_bytes()


def _toml(raw: bytes | None, repo: str, remote: str | None) -> dict[str, Any]:
    import tomllib

    if raw is None and remote is not None:
        return {}  # a URL passed as --remote needs no configuration
    if raw is None:
        raise NotFound(
            f"{repo} has no .shipyard/config.toml, so it names no remote",
            hint="pass --remote URL",
        )
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(
            f"the .shipyard/config.toml of {repo} is not valid TOML: {exc}"
        ) from None


def _materialise(store: ProjectObjects, pointer: Pointer, dest: Path, progress: Progress) -> None:
    try:
        if pointer.kind == "file":
            store.get_file(pointer.digest, dest, progress=progress)
            return
        tree = Tree.from_bytes(store.read_bytes(pointer.digest), pointer.digest)
        destinations = Destinations(dest, what=f"file of {pointer.name}")
        store.get_files([(f.digest, destinations.path(f.path)) for f in tree], progress=progress)
    except NotFound as exc:
        raise NotFound(
            f"{pointer.name} is not in {store.url}: {exc.message}",
            hint="it may not have been pushed yet",
        ) from None
