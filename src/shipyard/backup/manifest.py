"""A backup's layout and its manifest, the one file that says what a snapshot holds.

A backup location (a folder or ``s3://bucket/prefix``) holds::

    store/<key>                               the object store's keys, copied as stored
                                              (ciphertext stays ciphertext); shared by
                                              every snapshot, so each backup copies only
                                              the keys the location lacks
    snapshots/<id>/tables/<table>/<n>.jsonl.gz  rows, in parts of bounded size
    snapshots/<id>/objects.txt.gz             the store keys this snapshot needs, with sizes
    snapshots/<id>/manifest.json              written last: a snapshot without one is
                                              unfinished and is never restored

The manifest is read back from a location an attacker may have written to: every
key it names is checked to lie inside its snapshot, every table to be one this
schema knows, and every part against its digest before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from shipyard.core.errors import InvalidInput

__all__ = [
    "FORMAT",
    "SNAPSHOTS_PREFIX",
    "STORE_PREFIX",
    "Manifest",
    "Part",
    "check_snapshot_id",
    "manifest_key",
    "snapshot_prefix",
]

FORMAT = 1
STORE_PREFIX = "store/"
SNAPSHOTS_PREFIX = "snapshots/"
_SNAPSHOT_ID = re.compile(r"^[0-9A-Za-z]{26}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_PART_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}/[0-9]{6}\.jsonl\.gz$")


def snapshot_prefix(snapshot_id: str) -> str:
    return f"{SNAPSHOTS_PREFIX}{snapshot_id}/"


def manifest_key(snapshot_id: str) -> str:
    return f"{snapshot_prefix(snapshot_id)}manifest.json"


@dataclass(frozen=True)
class Part:
    """One file of a table's rows: its key, row count, size and BLAKE3 digest."""

    key: str
    rows: int
    size: int
    digest: str


@dataclass
class Manifest:
    id: str
    created_at: str
    shipyard_version: str
    dialect: str
    schema_revision: str
    audit_head: dict[str, Any] | None
    tables: dict[str, list[Part]] = field(default_factory=dict)
    objects: Part | None = None
    object_keys: int = 0
    object_bytes: int = 0
    format: int = FORMAT

    def rows(self) -> int:
        return sum(part.rows for parts in self.tables.values() for part in parts)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes, snapshot_id: str) -> Manifest:
        """Parse and check a manifest read from a backup (untrusted bytes)."""
        try:
            raw = json.loads(data)
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                raise InvalidInput(
                    f"snapshot {snapshot_id}: not a Shipyard backup manifest of format {FORMAT}"
                )
            prefix = snapshot_prefix(snapshot_id)
            tables = {
                _table_name(name): [_part(item, prefix) for item in parts]
                for name, parts in dict(raw["tables"]).items()
            }
            objects = raw.get("objects")
            manifest = cls(
                id=str(raw["id"]),
                created_at=str(raw["created_at"]),
                shipyard_version=str(raw["shipyard_version"]),
                dialect=str(raw["dialect"]),
                schema_revision=_revision(raw["schema_revision"]),
                audit_head=raw.get("audit_head"),
                tables=tables,
                objects=None if objects is None else _part(objects, prefix),
                object_keys=_count(raw.get("object_keys", 0)),
                object_bytes=_count(raw.get("object_bytes", 0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidInput(f"snapshot {snapshot_id}: malformed manifest ({error})") from None
        if manifest.id != snapshot_id:
            raise InvalidInput(f"snapshot {snapshot_id}: its manifest names {manifest.id!r}")
        return manifest


def check_snapshot_id(snapshot_id: str) -> str:
    if not _SNAPSHOT_ID.match(snapshot_id):
        raise InvalidInput(f"{snapshot_id!r} is not a snapshot id (26 letters and digits)")
    return snapshot_id


def _table_name(name: Any) -> str:
    if not isinstance(name, str) or not re.match(r"^[a-z_][a-z0-9_]{0,62}$", name):
        raise ValueError(f"bad table name {name!r}")
    return name


def _revision(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^[0-9a-z_]{1,32}$", value):
        raise ValueError(f"bad schema revision {value!r}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"bad count {value!r}")
    return value


def _part(raw: Any, prefix: str) -> Part:
    key = str(raw["key"])
    inner = key.removeprefix(prefix + "tables/")
    if not (
        key.startswith(prefix) and (_PART_NAME.match(inner) or key == prefix + "objects.txt.gz")
    ):
        raise ValueError(f"a part key {key!r} lies outside its snapshot")
    digest = str(raw["digest"])
    if not _HEX64.match(digest):
        raise ValueError(f"bad digest {digest!r}")
    return Part(key=key, rows=_count(raw["rows"]), size=_count(raw["size"]), digest=digest)
