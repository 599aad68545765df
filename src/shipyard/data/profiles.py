"""Profiles of tabular data versions: computed once per content, stored as objects.

A CSV or Parquet file added as (or inside) a dataset is profiled in one
streaming pass (:func:`shipyard.profiling.profile_file`); the profile's JSON
document goes into the object store, and the pointer (or the directory
listing) names its digest, so it travels with push and pull and is read back
by ``data show``, ``data diff`` and drift (``train.parquet@v1`` as a
reference). The stat cache remembers the profile of each content digest, so
unchanged files are never profiled twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, ShipyardError
from shipyard.core.extras import MissingExtra, require

if TYPE_CHECKING:
    from shipyard.data.statcache import StatCache
    from shipyard.objects.store import ObjectStore
    from shipyard.profiling.profile import Profile

__all__ = [
    "ObjectReader",
    "StoredProfile",
    "is_tabular",
    "load_profile",
    "profile_and_store",
    "schema_of",
    "why_no_profiles",
]


class ObjectReader(Protocol):
    """Where stored profiles are read from: a store, or a project's objects as its
    principal may read them (the team server checks the project holds each one)."""

    def read_bytes(self, digest: Digest) -> bytes: ...


_TABULAR = (".parquet", ".pq", ".parq", ".csv", ".tsv")
_COMPRESSED = (".gz", ".bz2", ".zst")


def is_tabular(name: str) -> bool:
    """True for names that ``profile_file`` reads (CSV/TSV, possibly compressed; Parquet)."""
    lower = name.lower()
    for suffix in _COMPRESSED:
        if lower.endswith(suffix):
            lower = lower[: -len(suffix)]
            break
    return lower.endswith(_TABULAR)


def why_no_profiles() -> str | None:
    """Why no table can be profiled in this install (the ``[tables]`` extra is missing)."""
    try:
        require("tables", "no profiles", "pyarrow", "numpy")
    except MissingExtra as exc:
        return exc.one_line()
    return None


@dataclass(frozen=True)
class StoredProfile:
    digest: Digest
    rows: int


def profile_and_store(
    store: ObjectStore, cache: StatCache, path: Path, content: Digest
) -> tuple[StoredProfile | None, str | None]:
    """The stored profile of ``path`` (whose content digest is ``content``), or why there is none.

    A file that is not a readable table gets no profile and a reason; that is
    not an error (a ``.csv`` of free text is still data).
    """
    known = cache.profile_of(content.hex)
    if known is not None and store.has(Digest(known[0])):
        return StoredProfile(Digest(known[0]), known[1]), None
    from shipyard.profiling.profiler import profile_file

    try:
        profile = profile_file(path)
    except ShipyardError as exc:
        return None, exc.one_line()
    ref = store.put_bytes(profile.to_json().encode("utf-8"))
    stored = StoredProfile(ref.digest, profile.rows)
    cache.remember_profiles([(content.hex, ref.digest.hex, profile.rows)])
    return stored, None


def load_profile(store: ObjectReader, digest: Digest) -> Profile:
    """The profile stored under ``digest``; raises :class:`NotFound` (suggesting pull), or
    :class:`MissingExtra` without the ``[tables]`` extra."""
    require("tables", "data profiles", "pyarrow", "numpy")
    from shipyard.profiling.profile import Profile

    data = store.read_bytes(digest)
    try:
        return Profile.from_dict(json.loads(data))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"object {digest.hex} is not a profile: {exc}") from None


def schema_of(store: ObjectReader, digest: Digest | None) -> list[tuple[str, str]] | None:
    """Column names and types from a stored profile, or None when it is not available."""
    if digest is None:
        return None
    try:
        data = json.loads(store.read_bytes(digest))
    except (ShipyardError, ValueError, UnicodeDecodeError):
        return None
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, list):
        return None
    return [(str(c.get("name")), str(c.get("dtype"))) for c in columns if isinstance(c, dict)]
