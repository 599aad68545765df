"""Pack files: many small records in one stored file, found through an index.

Pushing 20,000 small files as 20,000 requests is slow on any object store, so
batch writes gather records smaller than the pack threshold into packs of
about 16 MiB. A pack is named by the BLAKE3 of its entry table (each record's
name, offset, length and kind, sorted by name): a record's name is the hash of
its content, so the table pins the content down without hashing the pack's
bytes once more (a gigabyte of chunks costs 0.3 CPU-seconds to hash). Packs
written before named themselves by the BLAKE3 of their bytes; ``fsck``
accepts both. A pack never changes;
``gc`` rewrites a pack to drop dead records. Reading one record fetches only
its byte range.

``packs/<id>.pack``::

    b"\\x89SYP"  u8 version (1)  3 bytes reserved   then records back to back

``packs/<id>.idx`` (written after the pack: an index names only complete packs)::

    b"\\x89SYI"  u8 version (1)  u8 codec  2 bytes reserved
    payload = body (plain store) or the body sealed like a record payload
    body    = u32 n, n × (32-byte name, u64 offset, u32 length, u8 kind) sorted by
              name, then the 32-byte BLAKE3 of the body so far
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from shipyard.core.digest import DIGEST_SIZE, digest_of
from shipyard.core.errors import IntegrityError
from shipyard.core.object_layout import ObjectKind
from shipyard.objects.encryption import RecordCodec

__all__ = [
    "DEFAULT_PACK_SIZE",
    "PACK_HEADER",
    "BuiltPack",
    "PackBuilder",
    "PackEntry",
    "decode_index",
    "encode_index",
    "iter_ranges",
    "pack_id_of",
]

DEFAULT_PACK_SIZE = 16 * 1024 * 1024
PACK_VERSION = 1
PACK_HEADER = b"\x89SYP" + bytes((PACK_VERSION, 0, 0, 0))
_INDEX_MAGIC = b"\x89SYI"
_COUNT = struct.Struct("<I")
_ENTRY = struct.Struct(f"<{DIGEST_SIZE}sQIB")


@dataclass(frozen=True, slots=True)
class PackEntry:
    """Where one record lives inside a pack."""

    name: str
    offset: int
    length: int
    kind: ObjectKind


@dataclass(frozen=True)
class BuiltPack:
    pack_id: str
    data: bytes
    index: bytes
    entries: tuple[PackEntry, ...]


@dataclass
class PackBuilder:
    """Collects records into one pack; ``finish`` gives the bytes to store."""

    codec: RecordCodec
    target_size: int = DEFAULT_PACK_SIZE
    _parts: list[bytes] = field(default_factory=lambda: [PACK_HEADER])
    _entries: list[PackEntry] = field(default_factory=list)
    _names: set[str] = field(default_factory=set)
    _size: int = len(PACK_HEADER)

    def add(self, name: str, kind: ObjectKind, record: bytes) -> bool:
        """Append a record; False (and nothing added) if the pack holds ``name`` already."""
        if name in self._names:
            return False
        self._names.add(name)
        self._entries.append(PackEntry(name, self._size, len(record), kind))
        self._parts.append(record)
        self._size += len(record)
        return True

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size

    @property
    def full(self) -> bool:
        return self._size >= self.target_size

    def finish(self) -> BuiltPack:
        data = b"".join(self._parts)
        entries = tuple(self._entries)
        table = entry_table(entries)
        pack_id = digest_of(table).hex
        return BuiltPack(pack_id, data, encode_index(pack_id, entries, self.codec, table), entries)


def _index_header(codec: RecordCodec) -> bytes:
    return _INDEX_MAGIC + bytes((PACK_VERSION, codec.codec_id, 0, 0))


def entry_table(entries: tuple[PackEntry, ...]) -> bytes:
    """The entries as the index stores them (sorted by name); a pack's id hashes this."""
    ordered = sorted(entries, key=lambda e: e.name)
    parts = [_COUNT.pack(len(ordered))]
    parts.extend(
        _ENTRY.pack(bytes.fromhex(e.name), e.offset, e.length, int(e.kind)) for e in ordered
    )
    return b"".join(parts)


def pack_id_of(entries: tuple[PackEntry, ...]) -> str:
    """A pack's id: the BLAKE3 of its entry table."""
    return digest_of(entry_table(entries)).hex


def encode_index(
    pack_id: str, entries: tuple[PackEntry, ...], codec: RecordCodec, table: bytes | None = None
) -> bytes:
    """The index of a pack (``table``: its :func:`entry_table`, if already made)."""
    body = table if table is not None else entry_table(entries)
    body += digest_of(body).raw
    header = _index_header(codec)
    return b"".join((header, codec.seal(body, header + bytes.fromhex(pack_id))))


def decode_index(data: bytes, pack_id: str, codec: RecordCodec) -> list[PackEntry]:
    """The entries of a pack index; raises :class:`IntegrityError` naming the pack."""
    label = f"pack {pack_id[:12]}"
    if len(data) < 8 or data[:4] != _INDEX_MAGIC:
        raise _damaged(label, pack_id, "not a Shipyard pack index")
    if data[4] != PACK_VERSION:
        raise IntegrityError(
            f"the index of {label} has format {data[4]}, which this Shipyard cannot read",
            object_id=pack_id,
            hint="upgrade Shipyard",
        )
    if data[5] != codec.codec_id:
        raise _damaged(label, pack_id, "encryption differs from its store")
    body = codec.open(data[8:], data[:8] + bytes.fromhex(pack_id), f"{label} index")
    if len(body) < _COUNT.size + DIGEST_SIZE or digest_of(body[:-32]).raw != body[-32:]:
        raise _damaged(label, pack_id, "index checksum mismatch")
    (count,) = _COUNT.unpack_from(body)
    if len(body) != _COUNT.size + count * _ENTRY.size + DIGEST_SIZE:
        raise _damaged(label, pack_id, "index has the wrong length")
    entries = []
    for raw, offset, length, kind in _ENTRY.iter_unpack(
        body[_COUNT.size : _COUNT.size + count * _ENTRY.size]
    ):
        try:
            entries.append(PackEntry(raw.hex(), offset, length, ObjectKind(kind)))
        except ValueError:
            raise _damaged(label, pack_id, f"unknown record kind {kind}") from None
    return entries


def iter_ranges(entries: list[PackEntry], max_gap: int) -> Iterator[list[PackEntry]]:
    """Group entries (sorted by offset) whose byte ranges are at most ``max_gap`` apart."""
    group: list[PackEntry] = []
    for entry in sorted(entries, key=lambda e: e.offset):
        if group and entry.offset - (group[-1].offset + group[-1].length) > max_gap:
            yield group
            group = []
        group.append(entry)
    if group:
        yield group


def _damaged(label: str, pack_id: str, why: str) -> IntegrityError:
    return IntegrityError(
        f"{label} is damaged: {why}",
        object_id=pack_id,
        hint="run `shipyard fsck`, then restore the objects from another copy",
    )
