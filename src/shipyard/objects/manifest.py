"""Manifests: a large file as the ordered list of its content-defined chunks.

Binary layout (inside a record of kind MANIFEST), little-endian::

    u8   manifest format version (1)
    u64  total size of the file in bytes
    u32  number of chunks n
    n ×  (32-byte chunk digest, u32 chunk size)
    32   BLAKE3 of everything above (so a damaged manifest is caught cheaply)

The manifest is stored under the digest of the whole file's content, so a
file's name does not depend on how it was chunked.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from shipyard.core.digest import DIGEST_SIZE, Digest, digest_of
from shipyard.core.errors import IntegrityError

__all__ = ["MANIFEST_VERSION", "ChunkRef", "Manifest"]

MANIFEST_VERSION = 1
_HEAD = struct.Struct("<BQI")
_ENTRY = struct.Struct(f"<{DIGEST_SIZE}sI")


@dataclass(frozen=True, slots=True)
class ChunkRef:
    digest: Digest
    size: int


@dataclass(frozen=True)
class Manifest:
    size: int
    chunks: tuple[ChunkRef, ...]

    @classmethod
    def of(cls, chunks: Sequence[ChunkRef]) -> Manifest:
        return cls(sum(c.size for c in chunks), tuple(chunks))

    def encode(self) -> bytes:
        parts = [_HEAD.pack(MANIFEST_VERSION, self.size, len(self.chunks))]
        parts.extend(_ENTRY.pack(c.digest.raw, c.size) for c in self.chunks)
        body = b"".join(parts)
        return body + digest_of(body).raw

    @classmethod
    def decode(cls, data: bytes, object_id: str) -> Manifest:
        """Parse and check a manifest; raises :class:`IntegrityError` naming ``object_id``."""
        if len(data) < _HEAD.size + DIGEST_SIZE:
            raise _damaged(object_id, "too short")
        body, checksum = data[:-DIGEST_SIZE], data[-DIGEST_SIZE:]
        if digest_of(body).raw != checksum:
            raise _damaged(object_id, "checksum mismatch")
        version, size, count = _HEAD.unpack_from(body)
        if version != MANIFEST_VERSION:
            raise IntegrityError(
                f"manifest {object_id} has format {version}, which this Shipyard cannot read",
                object_id=object_id,
                hint="upgrade Shipyard",
            )
        if len(body) != _HEAD.size + count * _ENTRY.size:
            raise _damaged(object_id, "wrong length")
        chunks = tuple(
            ChunkRef(Digest.from_bytes(raw), length)
            for raw, length in _ENTRY.iter_unpack(body[_HEAD.size :])
        )
        if sum(c.size for c in chunks) != size:
            raise _damaged(object_id, "chunk sizes do not add up")
        return cls(size, chunks)


def _damaged(object_id: str, why: str) -> IntegrityError:
    return IntegrityError(
        f"manifest {object_id} is damaged ({why})",
        object_id=object_id,
        hint="run `shipyard fsck`, then restore the object from another copy",
    )
