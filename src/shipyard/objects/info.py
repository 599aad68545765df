"""Value objects describing stored objects: where a record is, what an object is."""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.core.digest import Digest
from shipyard.core.object_layout import ObjectKind
from shipyard.objects.packs import PackEntry

__all__ = ["Location", "ObjectInfo", "StoreUsage", "StoredRecord"]


@dataclass(frozen=True)
class Location:
    """Where one record is: a loose ``key``, or an ``entry`` of pack ``pack_id``."""

    name: str
    kind: ObjectKind
    stored_size: int
    key: str | None = None
    pack_id: str | None = None
    entry: PackEntry | None = None


@dataclass(frozen=True)
class ObjectInfo:
    """What :meth:`ObjectStore.stat` tells about one object."""

    digest: Digest
    kind: ObjectKind
    size: int
    chunks: int
    packed: bool


@dataclass(frozen=True)
class StoredRecord:
    """One record as stored (for ``fsck``, ``gc`` and listings); ``name`` is the stored name."""

    name: str
    kind: ObjectKind
    stored_size: int
    modified: float
    pack_id: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class StoreUsage:
    loose: int
    packs: int
    packed: int
    bytes: int

    @property
    def records(self) -> int:
        return self.loose + self.packed

    def to_dict(self) -> dict[str, int]:
        return {
            "records": self.records,
            "loose": self.loose,
            "packs": self.packs,
            "packed": self.packed,
            "bytes": self.bytes,
        }
