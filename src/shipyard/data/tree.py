"""The listing of a tracked directory: one JSON object in the store, named by its digest.

A directory version is ``{"type": "shipyard.data.tree", "version": 1, "files": [...]}``
where each file is ``[relative path, digest, size]`` sorted by path. The
bytes are canonical (sorted, compact), so equal content gives an equal
digest whoever computes it: the directory's pointer names this digest, and
``status`` recomputes it from the stat cache without reading a file.
Profiles of the tabular files inside live in a separate
:class:`ProfileIndex` object (the pointer's ``profile``), so they never
change a directory's identity.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from shipyard.core.digest import Digest, digest_of
from shipyard.core.errors import IntegrityError, InvalidInput
from shipyard.core.relpath import check_relpaths

__all__ = ["ProfileIndex", "Tree", "TreeFile"]

TYPE = "shipyard.data.tree"
VERSION = 1


@dataclass(frozen=True, slots=True)
class TreeFile:
    path: str
    digest: Digest
    size: int


@dataclass(frozen=True)
class Tree:
    files: tuple[TreeFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def __iter__(self) -> Iterator[TreeFile]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def by_path(self) -> dict[str, TreeFile]:
        return {f.path: f for f in self.files}

    def to_bytes(self) -> bytes:
        doc: dict[str, Any] = {
            "type": TYPE,
            "version": VERSION,
            "files": [[f.path, f.digest.hex, f.size] for f in sorted(self.files, key=_key)],
        }
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def digest(self) -> tuple[Digest, bytes]:
        return self.identity

    @cached_property
    def identity(self) -> tuple[Digest, bytes]:
        """The listing's digest and canonical bytes (computed once)."""
        data = self.to_bytes()
        return digest_of(data), data

    @classmethod
    def from_bytes(cls, data: bytes, digest: Digest, *, check_paths: bool = True) -> Tree:
        """Read a stored listing; raises :class:`IntegrityError` if it is not one.

        A listing comes from a store or a remote anyone may have written to, so
        every entry's path is checked (:func:`check_relpaths`) before a caller can
        join it to a folder: :class:`UnsafePath` names the first bad entry.
        ``check_paths=False`` is for callers that read only the digests.
        """
        try:
            doc = json.loads(data)
            if doc.get("type") != TYPE:
                raise ValueError("not a directory listing")
            if int(doc.get("version", 0)) > VERSION:
                raise InvalidInput(
                    f"directory listing {digest.short} is newer than this Shipyard reads",
                    hint="upgrade Shipyard",
                )
            files = tuple(TreeFile(p, _digest(d), _size(s)) for p, d, s in doc["files"])
        except InvalidInput:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IntegrityError(
                f"object {digest.hex} is not a directory listing ({exc})",
                object_id=digest.hex,
                hint="the pointer may name the wrong object; run `shipyard fsck`",
            ) from None
        if check_paths:
            check_relpaths((f.path for f in files), what=f"entry of folder listing {digest.short}")
        return cls(files)


def _digest(value: object) -> Digest:
    try:
        return Digest(str(value))
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


def _size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"size {value!r} is not a whole number ≥ 0")
    return value


def _key(f: TreeFile) -> str:
    return f.path


PROFILES_TYPE = "shipyard.data.profiles"


@dataclass(frozen=True)
class ProfileIndex:
    """Stored profiles (and row counts) of the tabular files of one directory version."""

    files: Mapping[str, tuple[Digest, int]] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        doc = {
            "type": PROFILES_TYPE,
            "version": VERSION,
            "files": {p: [d.hex, rows] for p, (d, rows) in sorted(self.files.items())},
        }
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @property
    def rows(self) -> int:
        return sum(rows for _, rows in self.files.values())

    @classmethod
    def from_bytes(cls, data: bytes, digest: Digest) -> ProfileIndex:
        try:
            doc = json.loads(data)
            if doc.get("type") != PROFILES_TYPE:
                raise ValueError("not a profile index")
            files = {str(p): (Digest(str(d)), int(rows)) for p, (d, rows) in doc["files"].items()}
        except (ValueError, TypeError, KeyError, AttributeError, InvalidInput) as exc:
            raise IntegrityError(
                f"object {digest.hex} is not a profile index ({exc})", object_id=digest.hex
            ) from None
        return cls(files)
