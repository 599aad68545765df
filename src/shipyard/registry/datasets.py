"""What the registry knows about the data a version was trained or evaluated on.

The seam for dataset versioning: a run's inputs and an evaluation's data file
are known by path and BLAKE3 digest. A *resolver* may recognise the digest as
a dataset version and describe it (name, version, stored profile)::

    from shipyard.registry.datasets import DatasetSummary, register_dataset_resolver

    def from_dataset_versions(ctx, path, digest):
        row = ...  # look the digest up among dataset versions
        return DatasetSummary(path, digest, size, name=..., version=..., rows=..., columns=...)

    register_dataset_resolver("datasets", from_dataset_versions)

Without one, a file still present at its path with the same digest is profiled
(files up to 256 MiB, one streaming pass); otherwise only path, digest and
size are known.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ShipyardError

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = [
    "DatasetResolver",
    "DatasetSummary",
    "describe_dataset",
    "register_dataset_resolver",
]

PROFILE_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True)
class DatasetSummary:
    """A data file as the model card shows it."""

    path: str
    digest: str
    size: int | None = None
    name: str | None = None
    version: str | None = None
    rows: int | None = None
    columns: tuple[Mapping[str, Any], ...] = ()
    """Per column: name, dtype, kind, null_fraction, and mean/min/max or distinct."""
    source: str = "record"
    """``dataset`` (a resolver knew it), ``profile`` (profiled now) or ``record`` (digest only)."""
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "digest": self.digest,
            "size": self.size,
            "name": self.name,
            "version": self.version,
            "rows": self.rows,
            "columns": [dict(c) for c in self.columns],
            "source": self.source,
            "note": self.note,
            **dict(self.extra),
        }


DatasetResolver = Callable[["Context", str, str], DatasetSummary | None]
_RESOLVERS: dict[str, DatasetResolver] = {}
_LOCK = threading.Lock()


def register_dataset_resolver(name: str, resolver: DatasetResolver) -> None:
    """Add (or replace) a resolver; they are asked in the order they were registered."""
    with _LOCK:
        _RESOLVERS[name] = resolver


def describe_dataset(
    ctx: Context, path: str, digest: str, size: int | None = None
) -> DatasetSummary:
    """The best description of the file ``path`` whose content had ``digest``."""
    with _LOCK:
        resolvers = list(_RESOLVERS.values())
    for resolver in resolvers:
        try:
            found = resolver(ctx, path, digest)
        except ShipyardError:
            found = None
        if found is not None:
            return found
    return _profile_if_unchanged(ctx, path, digest, size)


def _profile_if_unchanged(ctx: Context, path: str, digest: str, size: int | None) -> DatasetSummary:
    from shipyard.objects.files import digest_file

    file = Path(path)
    if not file.is_absolute() and ctx.settings.workspace is not None:
        file = ctx.settings.workspace / file
    if not file.is_file():
        return DatasetSummary(path, digest, size, note="the file is no longer at this path")
    actual = file.stat().st_size
    if actual > PROFILE_LIMIT:
        return DatasetSummary(path, digest, size, note="too large to profile for the card")
    if digest_file(file).digest.hex != digest:
        return DatasetSummary(path, digest, size, note="the file at this path has changed since")
    try:
        from shipyard.profiling import profile_file

        profile = profile_file(file)
    except ShipyardError as exc:
        return DatasetSummary(path, digest, size, note=f"not profiled: {exc.one_line()}")
    columns = []
    for column in profile.columns.values():
        summary = column.summary()
        entry: dict[str, Any] = {
            "name": column.name,
            "dtype": column.dtype,
            "kind": str(column.kind),
            "null_fraction": round(float(summary.get("null_fraction", 0.0)), 6),
        }
        for key in ("mean", "min", "max", "distinct"):
            value = summary.get(key)
            if isinstance(value, int | float | str) and not isinstance(value, bool):
                entry[key] = value
        columns.append(entry)
    return DatasetSummary(
        path, digest, actual, rows=profile.rows, columns=tuple(columns), source="profile"
    )
