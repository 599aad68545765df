"""The DVC import's index: which Shipyard version each DVC md5 became.

``shipyard data import-dvc`` writes ``.yard-dvc.json`` at the workspace root
(commit it with the pointers). Old commits hold ``.dvc`` files and
``dvc.lock``, not ``.yard`` pointers, and git history is never rewritten; so
reading pointers at a revision (``data checkout --rev``, ``data ls --rev``)
translates the DVC files found there through this index. The index only grows,
so today's copy covers every revision imported with ``--history``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput
from shipyard.data.dvc_files import dvc_file_names, outputs_of
from shipyard.data.pointer import Pointer
from shipyard.workspace.atomic import write_atomic

if TYPE_CHECKING:
    from shipyard.data.workspace import DataWorkspace

__all__ = [
    "INDEX_FILE",
    "IndexEntry",
    "dvc_files_at",
    "dvc_pointers_at",
    "read_index",
    "write_index",
]

INDEX_FILE = ".yard-dvc.json"
FORMAT = "shipyard.dvc-index"
VERSION = 1


@dataclass(frozen=True)
class IndexEntry:
    kind: str
    digest: Digest
    size: int
    files: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "digest": self.digest.hex,
            "size": self.size,
            "files": self.files,
        }


def read_index(root: Path) -> dict[str, IndexEntry]:
    """md5 → entry; empty when there is no index. :class:`InvalidInput` if it is damaged."""
    path = root / INDEX_FILE
    if not path.is_file() or path.is_symlink():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT or int(document.get("version", 0)) > VERSION:
            raise ValueError("not a DVC import index this Shipyard reads")
        return {
            str(md5): IndexEntry(
                str(e["kind"]), Digest(str(e["digest"])), int(e["size"]), int(e["files"])
            )
            for md5, e in document["md5"].items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidInput(
            f"{path} is damaged ({exc})", hint="restore it from git, or import again"
        ) from None


def write_index(root: Path, entries: dict[str, IndexEntry]) -> None:
    lines = ",\n".join(
        f"    {json.dumps(md5)}: {json.dumps(entries[md5].to_dict(), sort_keys=True)}"
        for md5 in sorted(entries)
    )
    text = f'{{\n  "format": "{FORMAT}",\n  "version": {VERSION},\n  "md5": {{\n{lines}\n  }}\n}}\n'
    write_atomic(root / INDEX_FILE, text)


def dvc_files_at(ws: DataWorkspace, rev: str | None) -> dict[str, bytes]:
    """DVC's files (``*.dvc``, ``dvc.lock``, ``dvc.yaml``) at ``rev`` or in the work tree,
    by workspace path; links and anything under ``.dvc/`` are left out."""
    if rev is None and not ws.in_git:
        found = [p.relative_to(ws.root).as_posix() for p in ws.root.rglob("*") if p.is_file()]
    else:
        found = [n for s in (".dvc", "dvc.lock", "dvc.yaml") for n in ws.repo.pointer_names(rev, s)]
    names = [n for n in dvc_file_names(found) if not n.startswith((".dvc/", ".shipyard/"))]
    if rev is not None:
        return ws.repo.read_files(rev, names)
    files = {}
    for name in names:
        path = ws.root / name
        if path.is_file() and not path.is_symlink():
            files[name] = path.read_bytes()
    return files


def dvc_pointers_at(ws: DataWorkspace, rev: str) -> dict[str, Pointer]:
    """The pointers DVC's files at ``rev`` stand for, through the index (empty without one)."""
    index = read_index(ws.root)
    if not index:
        return {}
    found = {}
    for output in outputs_of(dvc_files_at(ws, rev)):
        entry = index.get(output.md5)
        if entry is not None:
            found[output.name] = Pointer(
                name=output.name, kind=entry.kind, digest=entry.digest, size=entry.size,
                files=entry.files,
            )  # fmt: skip
    return found
