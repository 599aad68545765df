"""Packs of big chunks, written to disk as the chunks arrive (local stores only).

A gigabyte cut into 1 MiB chunks made a thousand loose files, and creating,
fsyncing and renaming each cost more than writing its bytes. Chunks of large
files in a local store therefore go into packs of ``LARGE_PACK_SIZE``,
streamed into a scratch file (no copy of the pack is kept in memory). The
format is the ordinary pack format (:mod:`shipyard.objects.packs`): readers,
``fsck``, ``gc`` and transfers see no difference.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from shipyard.core.digest import digest_of
from shipyard.core.object_layout import ObjectKind, index_key, pack_key
from shipyard.objects.backends.local import LocalBackend
from shipyard.objects.packs import PACK_HEADER, PackEntry, encode_index, entry_table

if TYPE_CHECKING:
    from shipyard.objects.store import ObjectStore

__all__ = ["LARGE_PACK_SIZE", "StreamingPack", "streams_packs"]

LARGE_PACK_SIZE = 64 * 1024 * 1024
"""Big enough that a pack costs little per byte; small enough for ``gc`` and ``fsck``,
which read a pack whole, to keep a few in memory."""


def streams_packs(store: ObjectStore) -> bool:
    """Whether ``store``'s backend can write a pack as a stream (local folders)."""
    return isinstance(store.backend, LocalBackend)


class StreamingPack:
    """One pack being written; not thread-safe (the writer holds a lock around it)."""

    def __init__(self, store: ObjectStore, target_size: int = LARGE_PACK_SIZE) -> None:
        self._store = store
        assert isinstance(store.backend, LocalBackend)
        self._backend = store.backend
        self._target = target_size
        self._stream = self._backend.open_stream(direct=True, background=True)
        self._entries: list[PackEntry] = []
        self._names: set[str] = set()
        self._size = 0
        self._append(PACK_HEADER)

    def _append(self, data: bytes | memoryview) -> None:
        self._backend.write_stream(self._stream, data)
        self._size += len(data)

    def add(self, name: str, kind: ObjectKind, parts: tuple[bytes, bytes | memoryview]) -> bool:
        """Append a record given as (header, payload); False if the pack holds it already."""
        if name in self._names:
            return False
        self._names.add(name)
        start = self._size
        for part in parts:
            self._append(part)
        self._entries.append(PackEntry(name, start, self._size - start, kind))
        return True

    @property
    def full(self) -> bool:
        return self._size >= self._target

    def finish(self) -> None:
        """Store the pack, then its index (an index names only a complete pack)."""
        if not self._entries:
            self.abort()
            return
        entries = tuple(self._entries)
        table = entry_table(entries)
        pack_id = digest_of(table).hex
        self._backend.commit_stream(self._stream, pack_key(pack_id))
        index = encode_index(pack_id, entries, self._store.codec, table)
        self._backend.write(index_key(pack_id), index)
        self._store.catalog.added_pack(pack_id, entries, self._size, time.time())

    def abort(self) -> None:
        self._backend.abort_stream(self._stream)
