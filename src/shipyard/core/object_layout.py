"""Where an object store keeps things: a pure function from names to keys.

The same layout is used by every backend (a local folder, an S3 prefix); keys
are relative, ``/``-separated paths. Format version 1::

    shipyard-store.json            the store marker: format, encryption, chunking
    objects/ab/cdef…               a loose blob record (64-hex name split 2/62)
    manifests/ab/cdef…             a loose manifest record (a chunked file)
    packs/<pack id>.pack           many small records back to back
    packs/<pack id>.idx            the pack's index: name → offset, length, kind
    audit/checkpoints/<seq>-<d>.json  signed audit checkpoints (not records)
    tmp/…                          local scratch for atomic writes (never listed)

A *name* is the 32-byte identity of a stored record: the content digest in a
plain store, a keyed digest in an encrypted store. Changing anything here is a
format change: see docs/objects.md ("Changing the format").
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = [
    "AUDIT_CHECKPOINTS_PREFIX",
    "FORMAT_VERSION",
    "MARKER_KEY",
    "PACKS_PREFIX",
    "TMP_PREFIX",
    "KeyKind",
    "ObjectKind",
    "ParsedKey",
    "audit_checkpoint_key",
    "index_key",
    "loose_key",
    "loose_prefix",
    "pack_key",
    "parse_key",
]

FORMAT_VERSION = 1
MARKER_KEY = "shipyard-store.json"
PACKS_PREFIX = "packs/"
TMP_PREFIX = "tmp/"
AUDIT_CHECKPOINTS_PREFIX = "audit/checkpoints/"
# Signed audit checkpoints (shipyard.audit): whole documents under their own prefix, never
# records, so the record listings of gc, fsck and stats never see them. Older versions
# never list this prefix either, hence no format bump.
_AUDIT_NAME = re.compile(r"^([0-9]{20})-([0-9a-f]{64})\.json$")

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ObjectKind(enum.IntEnum):
    """What a record holds; the number is written in record headers and pack indexes."""

    BLOB = 1
    """Raw content: a whole small file, or one chunk of a large one."""
    MANIFEST = 2
    """The ordered list of chunks that make up a large file."""


_LOOSE_PREFIX = {ObjectKind.BLOB: "objects/", ObjectKind.MANIFEST: "manifests/"}


class KeyKind(enum.Enum):
    MARKER = "marker"
    LOOSE = "loose"
    PACK = "pack"
    INDEX = "index"
    TMP = "tmp"
    AUDIT_CHECKPOINT = "audit-checkpoint"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ParsedKey:
    """What a key is: ``name`` is the 64-hex record name or the pack id."""

    kind: KeyKind
    name: str = ""
    object_kind: ObjectKind | None = None


def loose_prefix(kind: ObjectKind) -> str:
    return _LOOSE_PREFIX[kind]


def loose_key(name_hex: str, kind: ObjectKind) -> str:
    """``objects/ab/cdef…`` for a blob, ``manifests/ab/cdef…`` for a manifest."""
    _check_hex(name_hex)
    return f"{_LOOSE_PREFIX[kind]}{name_hex[:2]}/{name_hex[2:]}"


def pack_key(pack_id: str) -> str:
    _check_hex(pack_id)
    return f"{PACKS_PREFIX}{pack_id}.pack"


def index_key(pack_id: str) -> str:
    _check_hex(pack_id)
    return f"{PACKS_PREFIX}{pack_id}.idx"


def audit_checkpoint_key(seq: int, digest_hex: str) -> str:
    """``audit/checkpoints/<seq, 20 digits>-<digest>.json``: listing order is chain order."""
    _check_hex(digest_hex)
    if not 0 <= seq < 10**20:
        raise ValueError(f"not an audit sequence number: {seq!r}")
    return f"{AUDIT_CHECKPOINTS_PREFIX}{seq:020d}-{digest_hex}.json"


def parse_key(key: str) -> ParsedKey:
    """The inverse of the functions above; anything else is ``UNKNOWN``."""
    if key == MARKER_KEY:
        return ParsedKey(KeyKind.MARKER)
    if key.startswith(TMP_PREFIX):
        return ParsedKey(KeyKind.TMP)
    if key.startswith(AUDIT_CHECKPOINTS_PREFIX):
        match = _AUDIT_NAME.match(key[len(AUDIT_CHECKPOINTS_PREFIX) :])
        if match is None:
            return ParsedKey(KeyKind.UNKNOWN)
        return ParsedKey(KeyKind.AUDIT_CHECKPOINT, match.group(2))
    for kind, prefix in _LOOSE_PREFIX.items():
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            fan, sep, tail = rest.partition("/")
            if sep and len(fan) == 2 and _HEX64.match(fan + tail):
                return ParsedKey(KeyKind.LOOSE, fan + tail, kind)
            return ParsedKey(KeyKind.UNKNOWN)
    if key.startswith(PACKS_PREFIX):
        stem, dot, ext = key[len(PACKS_PREFIX) :].rpartition(".")
        if dot and _HEX64.match(stem) and ext in ("pack", "idx"):
            return ParsedKey(KeyKind.PACK if ext == "pack" else KeyKind.INDEX, stem)
    return ParsedKey(KeyKind.UNKNOWN)


def _check_hex(value: str) -> None:
    if not _HEX64.match(value):
        raise ValueError(f"not a 64-hex name: {value!r}")
