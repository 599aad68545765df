"""Where checkpoints are kept: the object store, and folders of exported copies.

In the object store each checkpoint is one key, ``audit/checkpoints/<seq, 20
digits>-<digest>.json`` (:func:`shipyard.core.object_layout.audit_checkpoint_key`),
written through the backend (not a content-addressed record: gc, fsck and stats
never list this prefix). An encrypted store seals it as it seals record payloads,
with the key as associated data, so a checkpoint cannot be moved to another name
unnoticed. The name holds the digest, so two servers writing a checkpoint of the
same head write two keys, never one over the other. Nothing here ever deletes one.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.audit.checkpoint import SignedCheckpoint
from shipyard.core.errors import InvalidInput, ShipyardError
from shipyard.core.object_layout import (
    AUDIT_CHECKPOINTS_PREFIX,
    KeyKind,
    audit_checkpoint_key,
    parse_key,
)

if TYPE_CHECKING:
    from shipyard.objects.backends.base import Backend
    from shipyard.objects.encryption import RecordCodec
    from shipyard.objects.store import ObjectStore

__all__ = ["CheckpointVault", "Found", "export_to_folder", "file_name", "read_folder"]

_READERS = 8


@dataclass(frozen=True)
class Found:
    """One checkpoint as read from somewhere: parsed, or why it could not be."""

    where: str
    signed: SignedCheckpoint | None
    problem: str | None = None


def file_name(signed: SignedCheckpoint) -> str:
    return audit_checkpoint_key(signed.checkpoint.seq, signed.checkpoint.digest).rsplit("/")[-1]


class CheckpointVault:
    """The checkpoints kept in one object store."""

    def __init__(self, backend: Backend, codec: RecordCodec) -> None:
        self.backend = backend
        self.codec = codec

    @classmethod
    def of(cls, store: ObjectStore) -> CheckpointVault:
        return cls(store.backend, store.codec)

    @property
    def where(self) -> str:
        return f"{self.backend.url.rstrip('/')}/{AUDIT_CHECKPOINTS_PREFIX}"

    def put(self, signed: SignedCheckpoint) -> str:
        """Store ``signed``; returns its key."""
        key = audit_checkpoint_key(signed.checkpoint.seq, signed.checkpoint.digest)
        self.backend.write(key, self.codec.seal(signed.to_bytes(), key.encode()))
        return key

    def keys(self) -> list[str]:
        """Every checkpoint key, oldest (lowest entry) first."""
        listed = self.backend.list(AUDIT_CHECKPOINTS_PREFIX)
        return sorted(i.key for i in listed if parse_key(i.key).kind is KeyKind.AUDIT_CHECKPOINT)

    def load(self, key: str) -> SignedCheckpoint:
        """One checkpoint; :class:`ShipyardError` if it is unreadable or not a checkpoint."""
        plaintext = self.codec.open(self.backend.read(key), key.encode(), key)
        return SignedCheckpoint.from_bytes(plaintext, key)

    def load_all(self) -> list[Found]:
        """Every checkpoint, read in parallel (one request each on S3)."""
        keys = self.keys()
        if not keys:
            return []
        with ThreadPoolExecutor(max_workers=min(_READERS, len(keys))) as pool:
            return list(pool.map(lambda k: _found(k, partial(self.load, k)), keys))

    def at(self, seq: int) -> list[SignedCheckpoint]:
        """The readable checkpoints of entry ``seq`` (one narrow listing)."""
        prefix = audit_checkpoint_key(seq, "0" * 64).rsplit("-", 1)[0] + "-"
        found = [_found(i.key, partial(self.load, i.key)) for i in self.backend.list(prefix)]
        return [f.signed for f in found if f.signed is not None]

    def newest(self, accept: Callable[[SignedCheckpoint], bool]) -> SignedCheckpoint | None:
        """The checkpoint of the highest entry that ``accept`` takes (read newest first)."""
        for key in reversed(self.keys()):
            try:
                signed = self.load(key)
            except ShipyardError:
                continue
            if accept(signed):
                return signed
        return None


def read_folder(folder: Path) -> list[Found]:
    """The checkpoints exported to ``folder`` (its ``*.json`` files)."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder of exported audit checkpoints")
    return [_found(str(p), partial(_read_file, p)) for p in sorted(folder.glob("*.json"))]


def _read_file(path: Path) -> SignedCheckpoint:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    return SignedCheckpoint.from_bytes(data, str(path))


def _found(where: str, load: Callable[[], SignedCheckpoint]) -> Found:
    try:
        return Found(where, load())
    except ShipyardError as exc:
        return Found(where, None, exc.one_line())


def export_to_folder(folder: Path, signed: SignedCheckpoint) -> Path:
    """Write a copy of ``signed`` into ``folder`` (atomically; created if missing)."""
    from shipyard.models.signing.keys import _write_atomic as write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(signed)
    write_atomic(path, signed.to_bytes(), 0o644)
    return path
