"""The checkpoint document and its signed envelope (pure: no key, no I/O).

The checkpoint, as canonical JSON (sorted keys, no spaces, UTF-8)::

    {"type": "shipyard.audit.checkpoint", "version": 1,
     "seq": 1234, "count": 1234, "head": "<hash of entry #1234>",
     "time": "2026-03-01T12:00:00.000000+00:00",
     "previous": "<digest of the checkpoint before>" | null,
     "key": "<fingerprint of the signing key>"}

``seq`` is the newest entry, ``count`` the entries up to it, ``head`` its hash.
The *digest* of a checkpoint is the SHA-256 of those canonical bytes; the next
checkpoint's ``previous`` holds it, so checkpoints chain. Stored and sent as
``{"checkpoint": {…}, "signature": {"algorithm": "ecdsa-p256-sha256", "value":
"<base64 DER>"}}``; the signature covers the canonical bytes, so any JSON
rendering of the same values verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shipyard.core.audit_chain import Pin
from shipyard.core.errors import InvalidInput

__all__ = ["ALGORITHM", "TYPE", "VERSION", "Checkpoint", "SignedCheckpoint"]

TYPE = "shipyard.audit.checkpoint"
VERSION = 1
ALGORITHM = "ecdsa-p256-sha256"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = frozenset({"type", "version", "seq", "count", "head", "time", "previous", "key"})


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    count: int
    head: str
    time: datetime
    previous: str | None
    key: str
    """Fingerprint (SHA-256 of the public PEM) of the key that signs it."""

    def body(self) -> dict[str, Any]:
        return {
            "type": TYPE, "version": VERSION, "seq": self.seq, "count": self.count,
            "head": self.head, "time": self.time.astimezone(UTC).isoformat(timespec="microseconds"),
            "previous": self.previous, "key": self.key,
        }  # fmt: skip

    def canonical(self) -> bytes:
        """The bytes that are signed and hashed."""
        return canonical_json(self.body())

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    def pin(self) -> Pin:
        when = self.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return Pin(self.seq, self.count, self.head, f"the signed checkpoint of {when}")

    @classmethod
    def from_body(cls, body: Any, source: str) -> Checkpoint:
        """Parse a document; :class:`InvalidInput` naming ``source`` if it is not one."""
        if not isinstance(body, dict) or body.get("type") != TYPE:
            raise _bad(source, f"its type is not {TYPE!r}")
        if body.get("version") != VERSION:
            raise _bad(source, f"version {body.get('version')!r} is not {VERSION} "
                               "(written by a newer Shipyard?)")  # fmt: skip
        if set(body) != _FIELDS:
            raise _bad(source, f"it has the fields {sorted(body)}, not {sorted(_FIELDS)}")
        seq, count = body["seq"], body["count"]
        for name, number in (("seq", seq), ("count", count)):
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                raise _bad(source, f"{name} is not a positive whole number")
        for name in ("head", "key"):
            if not isinstance(body[name], str) or not _HEX64.match(body[name]):
                raise _bad(source, f"{name} is not 64 hex digits")
        previous = body["previous"]
        if previous is not None and (not isinstance(previous, str) or not _HEX64.match(previous)):
            raise _bad(source, "previous is neither null nor 64 hex digits")
        try:
            time = datetime.fromisoformat(body["time"])
        except (TypeError, ValueError):
            raise _bad(source, "time is not an ISO 8601 time") from None
        if time.tzinfo is None:
            raise _bad(source, "time has no time zone")
        return cls(seq, count, body["head"], time, previous, body["key"])


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    signature: bytes
    """DER-encoded ECDSA P-256 signature over ``checkpoint.canonical()``."""

    def document(self) -> dict[str, Any]:
        value = base64.b64encode(self.signature).decode("ascii")
        return {"checkpoint": self.checkpoint.body(),
                "signature": {"algorithm": ALGORITHM, "value": value}}  # fmt: skip

    def to_bytes(self) -> bytes:
        return json.dumps(self.document(), indent=1, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes, source: str) -> SignedCheckpoint:
        """Parse a stored or exported checkpoint; :class:`InvalidInput` naming ``source``."""
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, ValueError):
            raise _bad(source, "it is not JSON") from None
        if not isinstance(document, dict) or set(document) != {"checkpoint", "signature"}:
            raise _bad(source, "it does not hold exactly a checkpoint and a signature")
        checkpoint = Checkpoint.from_body(document["checkpoint"], source)
        signature = document["signature"]
        if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
            raise _bad(source, f"its signature is not {ALGORITHM}")
        try:
            raw = base64.b64decode(str(signature.get("value")), validate=True)
        except (binascii.Error, ValueError):
            raise _bad(source, "its signature is not base64") from None
        return cls(checkpoint, raw)


def _bad(source: str, why: str) -> InvalidInput:
    return InvalidInput(f"{source} is not a valid audit checkpoint: {why}")
