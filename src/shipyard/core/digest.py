"""Content addresses: BLAKE3 digests and references to stored objects.

A :class:`Digest` names bytes: the BLAKE3 hash (32 bytes, written as 64
lower-case hex characters) of an object's *content*, whatever way the store
keeps it (one blob, or a manifest of content-defined chunks). Anyone can
check a digest with ``b3sum``. An :class:`ObjectRef` adds the size: it is what
other domains persist (pointer files, tables) to name a stored file.

Hashing is pure computation, so it lives in the core; reading files does not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import blake3

from shipyard.core.errors import InvalidInput

__all__ = [
    "ALGORITHM",
    "DIGEST_SIZE",
    "Digest",
    "ObjectRef",
    "digest_of",
    "new_hasher",
]

ALGORITHM = "blake3"
DIGEST_SIZE = 32
_HEX = re.compile(r"^[0-9a-f]{64}$")
# Above this size hashing uses every core (blake3's own threads; the GIL is released).
_THREADED_FROM = 1 << 20


@dataclass(frozen=True, order=True, slots=True)
class Digest:
    """The BLAKE3 digest of some content, as 64 lower-case hex characters.

    ``str(digest)`` is the bare hex; :meth:`parse` also accepts ``blake3:<hex>``.
    """

    hex: str

    def __post_init__(self) -> None:
        if not isinstance(self.hex, str) or not _HEX.match(self.hex):
            raise InvalidInput(
                f"{self.hex!r} is not a BLAKE3 digest",
                hint="a digest is 64 lower-case hex characters, optionally after 'blake3:'",
            )

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Read ``<hex>`` or ``blake3:<hex>`` (any case); raises :class:`InvalidInput`."""
        if not isinstance(text, str):
            raise InvalidInput(f"{text!r} is not a digest")
        value = text.strip()
        algorithm, sep, rest = value.partition(":")
        if sep:
            if algorithm.lower() != ALGORITHM:
                raise InvalidInput(
                    f"unsupported digest algorithm {algorithm!r} in {text!r}",
                    hint=f"Shipyard names objects by {ALGORITHM}",
                )
            value = rest
        return cls(value.lower())

    @classmethod
    def from_bytes(cls, raw: bytes) -> Digest:
        if len(raw) != DIGEST_SIZE:
            raise InvalidInput(f"a BLAKE3 digest has {DIGEST_SIZE} bytes, not {len(raw)}")
        return cls(raw.hex())

    @property
    def raw(self) -> bytes:
        return bytes.fromhex(self.hex)

    @property
    def short(self) -> str:
        """The first 12 hex characters, for messages and tables."""
        return self.hex[:12]

    @property
    def algorithm(self) -> str:
        return ALGORITHM

    def __str__(self) -> str:
        return self.hex


def new_hasher(size_hint: int = 0) -> Any:
    """An incremental BLAKE3 hasher (``update``/``digest``), threaded for large inputs."""
    threads = blake3.blake3.AUTO if size_hint >= _THREADED_FROM else 1
    return blake3.blake3(max_threads=threads)


def digest_of(data: bytes | bytearray | memoryview) -> Digest:
    """The digest of ``data``."""
    if len(data) < _THREADED_FROM:
        hexdigest = blake3.blake3(data).hexdigest()
    else:
        hexdigest = new_hasher(len(data)).update(data).hexdigest()
    # BLAKE3's own hex needs no checking (thousands of tiny files are hashed per add).
    digest = object.__new__(Digest)
    object.__setattr__(digest, "hex", hexdigest)
    return digest


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A stored object as other domains record it: its digest and size in bytes."""

    digest: Digest
    size: int

    TYPE = "shipyard.object"
    VERSION = 1

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise InvalidInput(f"object size must be a non-negative integer, not {self.size!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "version": self.VERSION,
            "algorithm": ALGORITHM,
            "digest": self.digest.hex,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectRef:
        """Read :meth:`to_dict` output; raises :class:`InvalidInput` naming what is wrong."""
        if not isinstance(data, Mapping):
            raise InvalidInput("an object reference must be a mapping")
        kind = data.get("type", cls.TYPE)
        version = data.get("version", cls.VERSION)
        if kind != cls.TYPE:
            raise InvalidInput(f"expected a {cls.TYPE!r} record, got type {kind!r}")
        if not isinstance(version, int) or version > cls.VERSION:
            raise InvalidInput(
                f"object reference version {version!r} is newer than this Shipyard reads",
                hint="upgrade Shipyard",
            )
        algorithm = data.get("algorithm", ALGORITHM)
        if algorithm != ALGORITHM:
            raise InvalidInput(f"unsupported digest algorithm {algorithm!r}")
        digest = data.get("digest")
        if not isinstance(digest, str):
            raise InvalidInput("an object reference needs a 'digest' string")
        return cls(Digest.parse(digest), data.get("size"))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.digest.hex} ({self.size} bytes)"
