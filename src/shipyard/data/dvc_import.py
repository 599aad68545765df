"""``shipyard data import-dvc``: a DVC repository's outputs as Shipyard pointers.

Every output named by a ``.dvc`` file or ``dvc.lock`` (in the work tree, and
with ``history`` in every commit that changed one) is taken from the DVC
cache or a local DVC remote, its MD5 checked while its bytes stream into the
object store, and only when every content checked out are the versions
recorded, the index (:mod:`.dvc_index`) and the ``.yard`` pointers written.
A file whose MD5 differs stops the import, named, before any metadata or
pointer is written (the objects already stored are unreferenced: ``gc``
drops them). Contents already in the index are not read again. A content
only older commits name, found nowhere, is reported and left out (that old
version stays unreadable); the work tree's contents must all be there.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from shipyard.core.errors import IntegrityError, NotFound
from shipyard.data.dvc_files import DvcContent, DvcOutput, outputs_of
from shipyard.data.dvc_index import IndexEntry, dvc_files_at, read_index, write_index
from shipyard.data.gitignore import ignore_in_git
from shipyard.data.pointer import Pointer
from shipyard.data.records import NewVersion
from shipyard.data.tree import Tree, TreeFile
from shipyard.data.workspace import DataWorkspace
from shipyard.objects.progress import NO_PROGRESS, Progress

__all__ = ["DvcImportResult", "import_dvc"]


@dataclass
class DvcImportResult:
    outputs: list[tuple[str, str, bool]] = field(default_factory=list)
    """(path, kind, changed) of each output in the work tree."""
    revisions: int = 0
    """Commits read (with ``history``)."""
    contents: int = 0
    """Contents (files or folders) verified and stored now."""
    bytes: int = 0
    versions: int = 0
    skipped_remotes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Contents of older commits found in neither the cache nor a local remote."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "outputs": [{"path": p, "kind": k, "changed": c} for p, k, c in self.outputs],
            "revisions": self.revisions, "contents": self.contents, "bytes": self.bytes,
            "versions": self.versions, "skipped_remotes": self.skipped_remotes,
            "missing": self.missing,
        }  # fmt: skip


def import_dvc(
    ws: DataWorkspace, *, history: bool = False, progress: Progress | None = None
) -> DvcImportResult:
    """Import the DVC repository at the workspace root (see the module docstring)."""
    progress = progress or NO_PROGRESS
    content = DvcContent(ws.root)
    result = DvcImportResult(skipped_remotes=content.skipped)
    snapshots = _snapshots(ws, history, result)
    index = read_index(ws.root)
    fresh: dict[str, IndexEntry] = {}
    todo = {o.md5: o for _, outs in snapshots for o in outs if o.md5 not in index}
    progress.begin("verifying and storing DVC data", len(todo), unit="items")
    current = {o.md5 for o in snapshots[-1][1]}
    for md5, output in todo.items():
        try:
            fresh[md5] = _store(ws, content, output, result)
        except NotFound:
            if md5 in current:
                raise  # the work tree's data must come whole
            # Never pushed, or gone since: that old revision stays unreadable, not the rest.
            result.missing.append(f"{output.name} (md5 {md5}) of an older commit")
        progress.advance(1)
    # Everything is verified and stored: now the metadata, the index, the pointers.
    known = {**index, **fresh}
    versions = []
    seen: set[tuple[str, str]] = set()
    for commit, outputs in snapshots:
        for o in outputs:
            if o.md5 in fresh and (o.name, o.md5) not in seen:
                seen.add((o.name, o.md5))
                e = known[o.md5]
                versions.append(
                    NewVersion(name=o.name, kind=e.kind, digest=e.digest, size=e.size,
                               files=e.files, git_commit=commit, message="imported from DVC")
                )  # fmt: skip
    if versions:
        ws.records.register(ws.ctx.principal, ws.project, versions)
        result.versions = len(versions)
    if fresh:
        write_index(ws.root, known)
    for output in snapshots[-1][1]:
        e = known[output.md5]
        pointer = Pointer(output.name, e.kind, e.digest, e.size, e.files)
        before = ws.pointer(output.name) if ws.pointer_file(output.name).is_file() else None
        changed = before is None or before.digest != pointer.digest
        if changed:
            pointer.write(ws.pointer_file(output.name))
            ignore_in_git(ws.root, output.name)
        result.outputs.append((output.name, e.kind, changed))
    return result


def _snapshots(
    ws: DataWorkspace, history: bool, result: DvcImportResult
) -> list[tuple[str | None, list[DvcOutput]]]:
    """(commit, outputs) oldest first, ending with the work tree's (commit: HEAD)."""
    found: list[tuple[str | None, list[DvcOutput]]] = []
    head = ws.repo.head() if ws.in_git else None
    if history and head is not None:
        pathspecs = ("*.dvc", "*dvc.lock", "*dvc.yaml")
        shas = ws.repo.git("rev-list", "--reverse", "HEAD", "--", *pathspecs)
        for sha in shas.decode().split():
            found.append((sha, outputs_of(dvc_files_at(ws, sha))))
            result.revisions += 1
    found.append((head, outputs_of(dvc_files_at(ws, None))))
    return found


def _store(
    ws: DataWorkspace, content: DvcContent, output: DvcOutput, result: DvcImportResult
) -> IndexEntry:
    what = f"{output.name} (from {output.origin})"
    if not output.is_dir:
        digest, size = _put_verified(ws, content, output.md5, what)
        result.contents += 1
        result.bytes += size
        return IndexEntry("file", digest, size, 1)
    files = []
    for rel, md5 in content.manifest(output.md5, what):
        digest, size = _put_verified(ws, content, md5, f"{output.name}/{rel}")
        files.append(TreeFile(rel, digest, size))
        result.bytes += size
    tree = Tree(tuple(files))
    listing, data = tree.identity
    ws.store.put_bytes(data)  # after every file, as `data add` does
    result.contents += 1
    return IndexEntry("directory", listing, tree.size, len(tree))


def _put_verified(ws: DataWorkspace, content: DvcContent, md5: str, what: str) -> tuple[Any, int]:
    """Stream the cached file into the store, hashing its MD5 on the way (one read, and
    no window for the file to change between the check and the copy)."""
    path = content.require(md5, what)
    with path.open("rb") as handle:
        reader = _Md5Reader(handle)
        ref = ws.store.put_stream(cast(BinaryIO, io.BufferedReader(reader, 1 << 20)))
    if reader.md5.hexdigest() != md5:
        raise IntegrityError(
            f"{path} should hold {what} (md5 {md5}) but its md5 is {reader.md5.hexdigest()}; "
            "nothing was imported",
            hint="the DVC cache is damaged: fetch the file again with `dvc fetch`",
        )
    return ref.digest, ref.size


class _Md5Reader(io.RawIOBase):
    def __init__(self, handle: io.BufferedReader) -> None:
        self.handle = handle
        self.md5 = hashlib.md5(usedforsecurity=False)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.handle.readinto(buffer)
        if n:
            self.md5.update(memoryview(buffer)[:n])
        return n or 0
