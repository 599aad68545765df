"""The pack catalog: which pack holds which record, loaded from pack indexes.

Indexes are immutable (a pack never changes; ``gc`` writes a new one), so the
catalog loads each index once and, on :meth:`refresh`, only lists the packs
to pick up new ones and forget deleted ones. Remote stores may keep a local
copy of each index in ``cache_dir``, checked like any other read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import IntegrityError, NotFound
from shipyard.core.object_layout import PACKS_PREFIX, KeyKind, index_key, parse_key
from shipyard.objects.backends.base import Backend
from shipyard.objects.encryption import RecordCodec
from shipyard.objects.packs import BuiltPack, PackEntry, decode_index
from shipyard.workspace.atomic import write_atomic

__all__ = ["PackCatalog", "PackInfo"]


@dataclass(frozen=True)
class PackInfo:
    pack_id: str
    entries: tuple[PackEntry, ...]
    modified: float
    size: int


class PackCatalog:
    """Thread-safe map from record name to (pack, entry)."""

    def __init__(self, backend: Backend, codec: RecordCodec, cache_dir: Path | None = None) -> None:
        self._backend = backend
        self._codec = codec
        self._cache_dir = cache_dir
        self._lock = threading.RLock()
        self._packs: dict[str, PackInfo] = {}
        self._where: dict[str, tuple[str, PackEntry]] = {}
        self._loaded = False
        self.damaged: dict[str, IntegrityError] = {}
        """Packs whose index could not be read, by id (``fsck`` reports them)."""

    @property
    def loaded(self) -> bool:
        """Whether the pack indexes were read at least once."""
        return self._loaded

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self.refresh()

    def refresh(self) -> None:
        """List the packs; load new indexes, forget vanished packs."""
        listing = {}
        sizes: dict[str, int] = {}
        for info in self._backend.list(PACKS_PREFIX):
            parsed = parse_key(info.key)
            if parsed.kind is KeyKind.INDEX:
                listing[parsed.name] = info.modified
            elif parsed.kind is KeyKind.PACK:
                sizes[parsed.name] = info.size
        with self._lock:
            for gone in set(self._packs) - set(listing):
                self._forget(gone)
            new = [p for p in listing if p not in self._packs]
        for pack_id in new:
            try:
                entries = self._load_index(pack_id)
            except IntegrityError as exc:
                self.damaged[pack_id] = exc
                continue
            except NotFound:
                continue  # deleted between the listing and the read
            self._add(PackInfo(pack_id, tuple(entries), listing[pack_id], sizes.get(pack_id, 0)))
        self._loaded = True

    def _load_index(self, pack_id: str) -> list[PackEntry]:
        cached = self._cache_dir / f"{pack_id}.idx" if self._cache_dir is not None else None
        if cached is not None and cached.is_file():
            try:
                return decode_index(cached.read_bytes(), pack_id, self._codec)
            except (IntegrityError, OSError):
                cached.unlink(missing_ok=True)
        data = self._backend.read(index_key(pack_id))
        entries = decode_index(data, pack_id, self._codec)
        if cached is not None:
            _write_cache(cached, data)
        return entries

    def _add(self, info: PackInfo) -> None:
        with self._lock:
            self._packs[info.pack_id] = info
            self.damaged.pop(info.pack_id, None)
            for entry in info.entries:
                self._where.setdefault(entry.name, (info.pack_id, entry))

    def _forget(self, pack_id: str) -> None:
        info = self._packs.pop(pack_id, None)
        if info is None:
            return
        for entry in info.entries:
            where = self._where.get(entry.name)
            if where is not None and where[0] == pack_id:
                del self._where[entry.name]
                for other in self._packs.values():  # another copy of the record?
                    match = next((e for e in other.entries if e.name == entry.name), None)
                    if match is not None:
                        self._where[entry.name] = (other.pack_id, match)
                        break

    def added(self, built: BuiltPack, modified: float) -> None:
        """Register a pack this process has just written."""
        self.added_pack(built.pack_id, built.entries, len(built.data), modified)

    def added_pack(
        self, pack_id: str, entries: tuple[PackEntry, ...], size: int, modified: float
    ) -> None:
        self._add(PackInfo(pack_id, entries, modified, size))

    def removed(self, pack_id: str) -> None:
        with self._lock:
            self._forget(pack_id)

    def lookup(self, name: str) -> tuple[str, PackEntry] | None:
        self.ensure_loaded()
        with self._lock:
            return self._where.get(name)

    def packs(self) -> list[PackInfo]:
        self.ensure_loaded()
        with self._lock:
            return list(self._packs.values())

    def __iter__(self) -> Iterator[tuple[str, tuple[str, PackEntry]]]:
        with self._lock:
            return iter(list(self._where.items()))


def _write_cache(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError:
        pass  # the cache is only an optimisation
