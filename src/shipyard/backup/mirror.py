"""Copy an object store's keys, as stored, to another backend: only those it lacks.

Keys are copied byte for byte below the record layer, so an encrypted store's
backup stays ciphertext and needs the same store key to be read. Every key of a
store is immutable once written (records are named by content, packs by a fresh
id), so a key of the same size already at the destination is the same key: a
second backup copies only what was written since the first.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.object_layout import TMP_PREFIX
from shipyard.objects.backends.base import Backend
from shipyard.objects.bounded import bounded_results
from shipyard.objects.progress import NO_PROGRESS, Progress

__all__ = ["Copied", "copy_keys", "listing_bytes", "parse_listing"]

# At most this many keys in flight: each is read whole (a pack is at most 16 MiB).
_WINDOW = 16


@dataclass
class Copied:
    keys: int = 0
    bytes: int = 0
    skipped: int = 0
    vanished: int = 0
    """Keys listed at the source but gone when read (gc ran meanwhile)."""


def copy_keys(
    source: Backend,
    source_prefix: str,
    destination: Backend,
    destination_prefix: str,
    keys: Iterable[tuple[str, int]],
    *,
    workers: int = 4,
    progress: Progress = NO_PROGRESS,
    total_bytes: int | None = None,
) -> Copied:
    """Copy ``keys`` (key, size) from ``source`` to ``destination`` unless already there."""
    have = {
        info.key.removeprefix(destination_prefix): info.size
        for info in destination.list(destination_prefix)
    }
    copied = Copied()
    progress.begin("copying objects", total_bytes, unit="bytes")

    def wanted() -> Iterator[tuple[str, int]]:
        for key, size in keys:
            if have.get(key) == size:
                copied.skipped += 1
                progress.advance(size)
            else:
                yield key, size

    def copy(job: tuple[str, int]) -> int:
        key, size = job
        try:
            data = source.read(source_prefix + key)
        except NotFound:
            return -1
        if len(data) != size:
            raise InvalidInput(f"object store key {key} changed size while it was copied")
        destination.write(destination_prefix + key, data)
        return size

    for size in bounded_results(wanted(), copy, workers, window=_WINDOW, name="backup-copy"):
        if size < 0:
            copied.vanished += 1
            continue
        copied.keys += 1
        copied.bytes += size
        progress.advance(size)
    return copied


def store_keys(backend: Backend) -> Iterator[tuple[str, int]]:
    """Every complete key of a store (never scratch files), with its size."""
    for info in backend.list(""):
        if not info.key.startswith(TMP_PREFIX):
            yield info.key, info.size


def listing_bytes(keys: Iterable[tuple[str, int]]) -> bytes:
    """The keys a snapshot needs, one ``key<TAB>size`` line each, compressed."""
    text = "".join(f"{key}\t{size}\n" for key, size in keys)
    return gzip.compress(text.encode(), compresslevel=6, mtime=0)


def parse_listing(text: str) -> list[tuple[str, int]]:
    """Read a decompressed listing back (untrusted): keys must be relative store keys."""
    keys: list[tuple[str, int]] = []
    for number, line in enumerate(text.splitlines(), 1):
        key, _, size = line.partition("\t")
        if (
            not key
            or key.startswith(("/", TMP_PREFIX))
            or ".." in key.split("/")
            or "\\" in key
            or not size.isdigit()
        ):
            raise InvalidInput(f"the backup's object listing is malformed at line {number}")
        keys.append((key, int(size)))
    return keys
