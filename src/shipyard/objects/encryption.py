"""Encryption at rest: AES-256-GCM records under per-record keys, keyed names.

A store key (32 random bytes, from a key file or an environment variable) is
never used on data directly. Two keys are derived from it with BLAKE3's
key-derivation mode:

* the *key-encryption key* wraps (AES key wrap, RFC 3394) a fresh random
  256-bit data key made for every record; the record is sealed with AES-GCM
  under that data key, a random 96-bit nonce, and the record header and name
  as associated data, so a record cannot be moved to another name unnoticed;
* the *name key* turns a content digest into the record's stored name
  (``BLAKE3-keyed(name key, digest)``), so stored names do not reveal content
  hashes, yet equal content still gets one name and dedup keeps working.

A short *key check* (a third derived value) is kept in the store marker, so a
wrong key is refused before any record is read. The key itself is never
logged, shown or written anywhere by Shipyard.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import blake3

from shipyard.core.digest import Digest
from shipyard.core.errors import ConfigError, IntegrityError

__all__ = [
    "CODEC_AES_GCM",
    "CODEC_PLAIN",
    "AesGcmCodec",
    "PlainCodec",
    "RecordCodec",
    "StoreKey",
    "load_store_key",
]

CODEC_PLAIN = 0
CODEC_AES_GCM = 1
SCHEME = "aes-256-gcm"

KEY_SIZE = 32
_NONCE = 12
_WRAPPED = KEY_SIZE + 8
_OVERHEAD = _WRAPPED + _NONCE + 16
_KEK_CONTEXT = "shipyard objects v1 key-encryption key"
_NAME_CONTEXT = "shipyard objects v1 name key"
_CHECK_CONTEXT = "shipyard objects v1 key check"


@dataclass(frozen=True)
class StoreKey:
    """A store's 32-byte secret. ``repr`` and ``str`` never show it."""

    material: bytes = field(repr=False)
    source: str = "memory"
    """Where the key came from (a file path or variable name), for messages."""

    def __post_init__(self) -> None:
        if len(self.material) != KEY_SIZE:
            raise ConfigError(f"the object store key from {self.source} is not {KEY_SIZE} bytes")

    @classmethod
    def generate(cls) -> StoreKey:
        return cls(os.urandom(KEY_SIZE), "new key")

    @classmethod
    def parse(cls, text: str, source: str) -> StoreKey:
        """Read 64 hex characters or standard base64 of 32 bytes; whitespace is ignored."""
        value = "".join(text.split())
        raw: bytes | None = None
        if len(value) == 2 * KEY_SIZE:
            try:
                raw = bytes.fromhex(value)
            except ValueError:
                raw = None
        if raw is None:
            try:
                raw = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raw = None
        if raw is None or len(raw) != KEY_SIZE:
            raise ConfigError(
                f"the object store key in {source} is not 32 bytes of hex or base64",
                hint="make one with `shipyard objects keygen PATH`",
            )
        return cls(raw, source)

    def to_text(self) -> str:
        """The key as 64 hex characters, for writing a new key file."""
        return self.material.hex()

    def _derive(self, context: str) -> bytes:
        return blake3.blake3(self.material, derive_key_context=context).digest()

    @property
    def check(self) -> str:
        """A public value that tells whether a key is the store's key (not the key)."""
        return self._derive(_CHECK_CONTEXT)[:16].hex()

    def __str__(self) -> str:
        return f"<object store key from {self.source}>"


def load_store_key(
    *, key_file: str, key_env: str, env: Mapping[str, str], base: Path | None
) -> StoreKey | None:
    """The configured store key, or None when neither source is set.

    ``key_file`` (relative to ``base`` unless absolute) wins over the variable
    named by ``key_env``. Raises :class:`ConfigError` naming the source, never
    the key.
    """
    if key_file:
        path = Path(key_file).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise ConfigError(
                f"the object store key file {path} does not exist",
                hint="create it with `shipyard objects keygen`, or fix objects.key_file",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not a text file"
            raise ConfigError(f"cannot read the object store key file {path}: {reason}") from None
        return StoreKey.parse(text, f"key file {path}")
    if key_env and env.get(key_env):
        return StoreKey.parse(env[key_env], f"environment variable {key_env}")
    return None


class RecordCodec(Protocol):
    """How record payloads are sealed, and how content digests become stored names."""

    codec_id: int
    overhead: int

    def name_for(self, digest: Digest) -> str:
        """The 64-hex stored name of the record holding ``digest``'s content."""
        ...

    def seal(self, plaintext: bytes | memoryview, aad: bytes) -> bytes | memoryview: ...

    def open(self, payload: bytes | memoryview, aad: bytes, object_id: str) -> bytes:
        """The plaintext; raises :class:`IntegrityError` naming ``object_id`` if damaged."""
        ...


class PlainCodec:
    """No encryption: names are content digests, payloads are the plaintext."""

    codec_id = CODEC_PLAIN
    overhead = 0

    def name_for(self, digest: Digest) -> str:
        return digest.hex

    def seal(self, plaintext: bytes | memoryview, aad: bytes) -> bytes | memoryview:
        return plaintext

    def open(self, payload: bytes | memoryview, aad: bytes, object_id: str) -> bytes:
        return bytes(payload)


class AesGcmCodec:
    """AES-256-GCM under a random data key per record, wrapped by the store key."""

    codec_id = CODEC_AES_GCM
    overhead = _OVERHEAD

    def __init__(self, key: StoreKey) -> None:
        # Imported here: plain stores (and every command's start-up) need none of it.
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.keywrap import (
            InvalidUnwrap,
            aes_key_unwrap,
            aes_key_wrap,
        )

        self._aead = AESGCM
        self._wrap, self._unwrap = aes_key_wrap, aes_key_unwrap
        self._damaged = (InvalidUnwrap, InvalidTag)
        self._kek = key._derive(_KEK_CONTEXT)
        self._name_key = key._derive(_NAME_CONTEXT)

    def __repr__(self) -> str:
        return "AesGcmCodec(<key hidden>)"

    def name_for(self, digest: Digest) -> str:
        return blake3.blake3(digest.raw, key=self._name_key).hexdigest()

    def seal(self, plaintext: bytes | memoryview, aad: bytes) -> bytes:
        data_key = os.urandom(KEY_SIZE)
        nonce = os.urandom(_NONCE)
        sealed = self._aead(data_key).encrypt(nonce, bytes(plaintext), aad)
        return bytes(self._wrap(self._kek, data_key)) + nonce + sealed

    def open(self, payload: bytes | memoryview, aad: bytes, object_id: str) -> bytes:
        view = memoryview(payload)
        if len(view) < _OVERHEAD:
            raise IntegrityError(
                f"object {object_id} is truncated (encrypted record too short)",
                object_id=object_id,
            )
        try:
            data_key = self._unwrap(self._kek, bytes(view[:_WRAPPED]))
            nonce = bytes(view[_WRAPPED : _WRAPPED + _NONCE])
            return bytes(self._aead(data_key).decrypt(nonce, bytes(view[_WRAPPED + _NONCE :]), aad))
        except self._damaged:
            raise IntegrityError(
                f"object {object_id} failed authentication: it was damaged or altered",
                object_id=object_id,
                hint="run `shipyard fsck`, then restore the object from another copy",
            ) from None
