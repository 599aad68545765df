"""Records: how one object's bytes are framed on disk or in a bucket.

Every stored object, loose or inside a pack, is one record::

    offset  size  field
    0       4     magic  b"\\x89SYO"
    4       1     record format version (1)
    5       1     kind   (1 blob, 2 manifest: ObjectKind)
    6       1     codec  (0 plain, 1 AES-256-GCM)
    7       1     reserved, 0
    8       …     payload: the content (plain), or wrapped key + nonce + ciphertext + tag

The header and the record's 32-byte name are the associated data of an
encrypted payload, so neither can be changed without detection. Decoding
checks the frame only; the caller checks the content against its digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.core.errors import IntegrityError
from shipyard.core.object_layout import ObjectKind
from shipyard.objects.encryption import CODEC_PLAIN, RecordCodec

__all__ = [
    "HEADER_SIZE",
    "RECORD_MAGIC",
    "RECORD_VERSION",
    "Record",
    "decode",
    "encode",
    "encode_parts",
]

RECORD_MAGIC = b"\x89SYO"
RECORD_VERSION = 1
HEADER_SIZE = 8


@dataclass(frozen=True)
class Record:
    kind: ObjectKind
    plaintext: bytes


def content_size(stored_size: int, codec: RecordCodec) -> int:
    """The content bytes of a record that takes ``stored_size`` (header and sealing off)."""
    return stored_size - HEADER_SIZE - codec.overhead


def _header(kind: ObjectKind, codec: RecordCodec) -> bytes:
    return RECORD_MAGIC + bytes((RECORD_VERSION, int(kind), codec.codec_id, 0))


def encode(kind: ObjectKind, plaintext: bytes | memoryview, name: str, codec: RecordCodec) -> bytes:
    """The stored bytes of a record named ``name`` (64 hex)."""
    return b"".join(encode_parts(kind, plaintext, name, codec))


def encode_parts(
    kind: ObjectKind, plaintext: bytes | memoryview, name: str, codec: RecordCodec
) -> tuple[bytes, bytes | memoryview]:
    """The record as (header, payload), so a plain chunk is written without a copy."""
    header = _header(kind, codec)
    if codec.codec_id == CODEC_PLAIN:
        return header, plaintext  # nothing to seal, no associated data to build
    return header, codec.seal(plaintext, header + bytes.fromhex(name))


def decode(
    data: bytes | memoryview, name: str, codec: RecordCodec, label: str | None = None
) -> Record:
    """Unframe (and decrypt) the record stored as ``name``.

    Raises :class:`IntegrityError` naming ``label`` (default: ``name``; callers
    pass the content digest, which users know, when the store is encrypted).
    """
    stored_name = name
    name = label or name
    view = memoryview(data)
    if len(view) < HEADER_SIZE or bytes(view[:4]) != RECORD_MAGIC:
        raise IntegrityError(
            f"object {name} is damaged: not a Shipyard record", object_id=name, hint=_HINT
        )
    version, kind, codec_id, _ = bytes(view[4:8])
    if version != RECORD_VERSION:
        raise IntegrityError(
            f"object {name} has record format {version}, which this Shipyard cannot read",
            object_id=name,
            hint="upgrade Shipyard",
        )
    try:
        object_kind = ObjectKind(kind)
    except ValueError:
        raise IntegrityError(
            f"object {name} is damaged: unknown kind {kind}", object_id=name, hint=_HINT
        ) from None
    if codec_id != codec.codec_id:
        state = "encrypted" if codec_id else "not encrypted"
        raise IntegrityError(
            f"object {name} is {state}, unlike its store", object_id=name, hint=_HINT
        )
    header = bytes(view[:HEADER_SIZE])
    plaintext = codec.open(view[HEADER_SIZE:], header + bytes.fromhex(stored_name), name)
    return Record(object_kind, plaintext)


_HINT = "run `shipyard fsck`, then restore the object from another copy"
