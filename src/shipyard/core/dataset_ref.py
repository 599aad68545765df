"""``DatasetRef``: how runs and models name the exact data they used.

A dataset version is identified by its project, its name (the tracked path,
``data/train.parquet``) and its content digest; the version number is the
order in which versions were added to that project's metadata store, kept
for people (``data/train.parquet@v3``). Persist :meth:`DatasetRef.to_dict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput

__all__ = ["DatasetRef"]


@dataclass(frozen=True, slots=True)
class DatasetRef:
    project: str
    name: str
    digest: Digest
    version: int | None = None

    TYPE = "shipyard.dataset"
    VERSION = 1

    def __str__(self) -> str:
        suffix = f"v{self.version}" if self.version is not None else self.digest.short
        return f"{self.name}@{suffix}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "version": self.VERSION,
            "project": self.project,
            "name": self.name,
            "digest": self.digest.hex,
            "dataset_version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetRef:
        """Read :meth:`to_dict` output; raises :class:`InvalidInput` naming what is wrong."""
        if not isinstance(data, Mapping) or data.get("type", cls.TYPE) != cls.TYPE:
            raise InvalidInput(f"expected a {cls.TYPE!r} record")
        if not isinstance(data.get("version", 1), int) or data.get("version", 1) > cls.VERSION:
            raise InvalidInput("dataset reference is newer than this Shipyard reads")
        project, name = data.get("project"), data.get("name")
        if not isinstance(project, str) or not isinstance(name, str) or not name:
            raise InvalidInput("a dataset reference needs 'project' and 'name' strings")
        number = data.get("dataset_version")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise InvalidInput("'dataset_version' must be a whole number")
        return cls(project, name, Digest.parse(str(data.get("digest"))), number)
