"""The store marker (``shipyard-store.json``): format, encryption and chunking of a store.

Written once when a store is first used, read whenever it is opened. A
missing marker in a store that holds objects, a newer format, a missing or
wrong key are all refused here, before any object is touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shipyard.core.errors import ConfigError, IntegrityError, InvalidInput, NotFound
from shipyard.core.object_layout import FORMAT_VERSION, MARKER_KEY, PACKS_PREFIX, ObjectKind
from shipyard.core.object_layout import loose_prefix as _loose_prefix
from shipyard.objects.backends.base import Backend
from shipyard.objects.chunking import DEFAULT_CHUNKING, ChunkParams
from shipyard.objects.encryption import SCHEME, AesGcmCodec, PlainCodec, RecordCodec, StoreKey

__all__ = ["MARKER_TYPE", "StoreMarker", "open_marker"]

MARKER_TYPE = "shipyard.objects.store"
_KEY_HINT = "set objects.key_file, or the variable named by objects.key_env (SHIPYARD_OBJECTS_KEY)"


@dataclass(frozen=True)
class StoreMarker:
    format: int
    encryption: str | None
    key_check: str | None
    chunking: ChunkParams
    created: str

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "type": MARKER_TYPE,
            "format": self.format,
            "created": self.created,
            "encryption": None
            if self.encryption is None
            else {"scheme": self.encryption, "key_check": self.key_check},
            "chunking": self.chunking.to_dict(),
        }
        return (json.dumps(data, indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes, where: str) -> StoreMarker:
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("type") != MARKER_TYPE:
                raise ValueError("not a store marker")
            version = data["format"]
            if not isinstance(version, int):
                raise ValueError("format is not a number")
        except (ValueError, KeyError) as exc:
            raise IntegrityError(
                f"the store marker of {where} is damaged ({exc})",
                object_id=MARKER_KEY,
                hint=f"restore {MARKER_KEY} from a backup or another copy of the store",
            ) from None
        if version > FORMAT_VERSION:
            raise InvalidInput(
                f"the object store at {where} has format {version}; this Shipyard reads "
                f"up to {FORMAT_VERSION}",
                hint="upgrade Shipyard",
            )
        encryption = data.get("encryption")
        scheme = encryption.get("scheme") if isinstance(encryption, dict) else None
        check = encryption.get("key_check") if isinstance(encryption, dict) else None
        if encryption is not None and (scheme != SCHEME or not isinstance(check, str)):
            raise InvalidInput(f"the object store at {where} uses unknown encryption {scheme!r}")
        return cls(
            format=version,
            encryption=scheme,
            key_check=check,
            chunking=ChunkParams.from_dict(data.get("chunking") or DEFAULT_CHUNKING.to_dict()),
            created=str(data.get("created", "")),
        )


def open_marker(
    backend: Backend,
    *,
    key: StoreKey | None,
    encrypt: bool,
    chunking: ChunkParams = DEFAULT_CHUNKING,
    create: bool = True,
) -> tuple[StoreMarker, RecordCodec]:
    """Read (or, for an empty store, write) the marker and return the matching codec.

    Raises :class:`ConfigError` for a missing or wrong key, or when ``encrypt``
    asks for encryption of a store that is plain.
    """
    try:
        marker = StoreMarker.from_json(backend.read(MARKER_KEY), backend.url)
    except NotFound:
        marker = _create(backend, key=key, encrypt=encrypt, chunking=chunking, create=create)
    if marker.encryption is None:
        if encrypt:
            raise ConfigError(
                f"objects.encrypt is on, but the object store at {backend.url} is not encrypted",
                hint="use a new, empty object folder or bucket prefix for an encrypted store",
            )
        return marker, PlainCodec()
    if key is None:
        raise ConfigError(
            f"the object store at {backend.url} is encrypted and no key is configured",
            hint=_KEY_HINT,
        )
    if key.check != marker.key_check:
        raise ConfigError(
            f"the key from {key.source} is not the key of the object store at {backend.url}",
            hint="use the key file the store was created with",
        )
    return marker, AesGcmCodec(key)


def _create(
    backend: Backend,
    *,
    key: StoreKey | None,
    encrypt: bool,
    chunking: ChunkParams,
    create: bool,
) -> StoreMarker:
    for prefix in (
        _loose_prefix(ObjectKind.BLOB),
        _loose_prefix(ObjectKind.MANIFEST),
        PACKS_PREFIX,
    ):
        if next(iter(backend.list(prefix)), None) is not None:
            raise IntegrityError(
                f"the object store at {backend.url} holds objects but has no {MARKER_KEY}",
                object_id=MARKER_KEY,
                hint=f"restore {MARKER_KEY} from another copy of the store",
            )
    if encrypt and key is None:
        raise ConfigError(
            f"objects.encrypt is on but no key is configured for {backend.url}", hint=_KEY_HINT
        )
    marker = StoreMarker(
        format=FORMAT_VERSION,
        encryption=SCHEME if encrypt else None,
        key_check=key.check if encrypt and key is not None else None,
        chunking=chunking,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    if create:
        backend.write(MARKER_KEY, marker.to_json())
    return marker
