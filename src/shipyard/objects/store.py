"""The object store: content-addressed, verified on every read, thread-safe.

:class:`ObjectStore` is the store that holds the bytes itself: ``ctx.objects`` (the
workspace's, or the team server's own), :func:`shipyard.objects.open_store` for
another. It is one of the two implementations of the objects seam
(:class:`~shipyard.objects.api.ProjectObjects`), which other domains use.
It puts files and bytes and returns :class:`ObjectRef` (digest + size); it
gets them back by digest, checking every byte against its digest, and raises
:class:`IntegrityError` naming the object when they differ. Backends hold the
bytes; this class decides names, records, packs and chunking.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from shipyard.core.digest import Digest, ObjectRef, digest_of
from shipyard.core.errors import IntegrityError, NotFound
from shipyard.core.object_layout import (
    KeyKind,
    ObjectKind,
    loose_key,
    loose_prefix,
    pack_key,
    parse_key,
)
from shipyard.objects import records, uploads
from shipyard.objects.api import Held
from shipyard.objects.backends.base import Backend
from shipyard.objects.catalog import PackCatalog
from shipyard.objects.chunking import ChunkParams
from shipyard.objects.encryption import RecordCodec
from shipyard.objects.info import Location, ObjectInfo, StoredRecord, StoreUsage
from shipyard.objects.manifest import ChunkRef, Manifest
from shipyard.objects.marker import StoreMarker
from shipyard.objects.progress import Progress, TransferStats
from shipyard.objects.writer import RecordWriter

__all__ = ["Location", "ObjectInfo", "ObjectStore", "StoreUsage", "StoredRecord"]

PACK_THRESHOLD = 512 * 1024
# For more names than this, ``missing`` lists the store instead of asking name by name.
_LIST_INSTEAD_OF_ASKING = 64


class ObjectStore:
    """A content-addressed store over one backend (see docs/objects.md)."""

    def __init__(
        self,
        backend: Backend,
        marker: StoreMarker,
        codec: RecordCodec,
        *,
        cache_dir: Path | None = None,
        workers: int = 8,
        pack_threshold: int = PACK_THRESHOLD,
        pack_size: int | None = None,
    ) -> None:
        from shipyard.objects.packs import DEFAULT_PACK_SIZE

        self.backend = backend
        self.marker = marker
        self.codec = codec
        self.workers = max(1, workers)
        self.pack_threshold = pack_threshold
        self.pack_size = pack_size or DEFAULT_PACK_SIZE
        self.catalog = PackCatalog(backend, codec, cache_dir)

    def __repr__(self) -> str:
        return f"ObjectStore({self.url!r})"

    @property
    def url(self) -> str:
        return self.backend.url

    @property
    def requests(self) -> int:
        """Requests made so far (HTTP requests for S3, file operations for a folder)."""
        return self.backend.requests

    @property
    def encrypted(self) -> bool:
        return self.marker.encryption is not None

    @property
    def chunking(self) -> ChunkParams:
        return self.marker.chunking

    def name_for(self, digest: Digest) -> str:
        """The stored name of ``digest`` (the digest itself unless the store is encrypted)."""
        return self.codec.name_for(digest)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> ObjectStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- finding records ---------------------------------------------------------

    def _locate(
        self,
        name: str,
        *,
        refresh: bool = True,
        kinds: tuple[ObjectKind, ...] = (ObjectKind.BLOB, ObjectKind.MANIFEST),
    ) -> Location | None:
        if not self.catalog.loaded:  # a loose record is found without loading every index
            loose = self._loose(name, kinds)
            if loose is not None:
                return loose
        found = self._in_pack(name)
        if found is not None:
            return found
        loose = self._loose(name, kinds)
        if loose is not None:
            return loose
        if refresh:
            self.catalog.refresh()  # another process may have written a pack since
            return self._locate(name, refresh=False, kinds=kinds)
        return None

    def _loose(self, name: str, kinds: tuple[ObjectKind, ...]) -> Location | None:
        for kind in kinds:
            key = loose_key(name, kind)
            info = self.backend.stat(key)
            if info is not None:
                return Location(name, kind, info.size, key=key)
        return None

    def _in_pack(self, name: str) -> Location | None:
        found = self.catalog.lookup(name)
        if found is None:
            return None
        pack_id, entry = found
        return Location(name, entry.kind, entry.length, pack_id=pack_id, entry=entry)

    def locate_many(
        self, digests: Iterable[Digest], *, refresh: bool = True
    ) -> dict[Digest, Location]:
        """Where each of ``digests`` is stored; absent ones are left out.

        Few names are asked one by one (in parallel); many are answered by
        listing the store, which costs one request per 1,000 records on S3.
        ``refresh`` false: packs as last listed (loose records are still looked for).
        """
        names = {self.name_for(d): d for d in digests}
        found: dict[Digest, Location] = {}
        if not names:
            return found
        if refresh:
            self.catalog.refresh()
        remaining = []
        for name, digest in names.items():
            loc = self._in_pack(name)
            if loc is None:
                remaining.append(name)
            else:
                found[digest] = loc
        if not remaining:
            return found
        if self.backend.remote and len(remaining) > _LIST_INSTEAD_OF_ASKING:
            listing = self._loose_listing()
            for name in remaining:
                if name in listing:
                    found[names[name]] = listing[name]
            return found
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            located = list(pool.map(lambda n: self._locate(n, refresh=False), remaining))
        for name, loc in zip(remaining, located, strict=True):
            if loc is not None:
                found[names[name]] = loc
        return found

    def _loose_listing(self) -> dict[str, Location]:
        listing = {}
        for kind in (ObjectKind.BLOB, ObjectKind.MANIFEST):
            for info in self.backend.list(loose_prefix(kind)):
                parsed = parse_key(info.key)
                if parsed.kind is KeyKind.LOOSE:
                    listing[parsed.name] = Location(parsed.name, kind, info.size, key=info.key)
        return listing

    def in_pack(self, name: str) -> bool:
        """True if a pack (as last loaded) holds a record of this stored name."""
        return self._in_pack(name) is not None

    def has_name(self, name: str, kind: ObjectKind | None = None) -> bool:
        """True if a record of this stored name (and ``kind``) exists (packs as last loaded)."""
        kinds = (ObjectKind.BLOB, ObjectKind.MANIFEST) if kind is None else (kind,)
        return self._locate(name, refresh=False, kinds=kinds) is not None

    def _raw(self, loc: Location) -> bytes:
        if loc.key is not None:
            return self.backend.read(loc.key)
        assert loc.pack_id is not None
        assert loc.entry is not None

        return self.backend.read(pack_key(loc.pack_id), loc.entry.offset, loc.entry.length)

    def _record(self, digest: Digest) -> records.Record:
        name = self.name_for(digest)
        for attempt in (1, 2):
            loc = self._locate(name)
            if loc is None:
                break
            try:
                raw = self._raw(loc)
            except NotFound:
                if attempt == 1 and loc.pack_id is not None:  # repacked by gc meanwhile
                    self.catalog.refresh()
                    continue
                break
            return records.decode(raw, name, self.codec, digest.hex)
        raise NotFound(
            f"object {digest.hex} is not in the object store at {self.url}",
            hint="push it from where it was made, or pull it from a remote",
        )

    def _verified_blob(self, digest: Digest, record: records.Record) -> bytes:
        if digest_of(record.plaintext) != digest:
            raise IntegrityError(
                f"object {digest.hex} is corrupt: its content does not match its digest",
                object_id=digest.hex,
                hint="run `shipyard fsck`, then restore the object from another copy",
            )
        return record.plaintext

    def fetch_blob(self, digest: Digest) -> bytes:
        """The verified content of a blob (a small object or one chunk)."""
        record = self._record(digest)
        if record.kind is not ObjectKind.BLOB:
            raise IntegrityError(
                f"object {digest.hex} is a manifest where a chunk was expected",
                object_id=digest.hex,
            )
        return self._verified_blob(digest, record)

    def manifest(self, digest: Digest) -> Manifest | None:
        """The manifest of a chunked object, or None if ``digest`` is one blob."""
        record = self._record(digest)
        if record.kind is ObjectKind.BLOB:
            return None
        return Manifest.decode(record.plaintext, digest.hex)

    def _load(self, digest: Digest) -> tuple[bytes | None, Manifest | None]:
        record = self._record(digest)
        if record.kind is ObjectKind.BLOB:
            return self._verified_blob(digest, record), None
        return None, Manifest.decode(record.plaintext, digest.hex)

    # -- questions ---------------------------------------------------------------

    def has(self, digest: Digest) -> bool:
        """True if the store holds ``digest`` (without reading or verifying it)."""
        return self._locate(self.name_for(digest)) is not None

    def missing(self, digests: Iterable[Digest]) -> set[Digest]:
        """The digests among ``digests`` that the store does not hold (see :meth:`locate_many`)."""
        wanted = set(digests)
        return wanted - set(self.locate_many(wanted))

    def stat(self, digest: Digest) -> ObjectInfo:
        """Kind, size and placement of an object; raises :class:`NotFound`."""
        loc = self._locate(self.name_for(digest))
        data, manifest = self._load(digest)  # raises NotFound with the usual message
        packed = loc is not None and loc.pack_id is not None
        if manifest is not None:
            return ObjectInfo(
                digest, ObjectKind.MANIFEST, manifest.size, len(manifest.chunks), packed
            )
        assert data is not None
        return ObjectInfo(digest, ObjectKind.BLOB, len(data), 0, packed)

    def iter_records(self) -> Iterator[StoredRecord]:
        """Every record the store holds: loose ones, then the packs' (as now listed)."""
        for kind in (ObjectKind.BLOB, ObjectKind.MANIFEST):
            for info in self.backend.list(loose_prefix(kind)):
                parsed = parse_key(info.key)
                if parsed.kind is KeyKind.LOOSE:
                    yield StoredRecord(parsed.name, kind, info.size, info.modified, key=info.key)
        self.catalog.refresh()
        for pack in self.catalog.packs():
            for entry in pack.entries:
                yield StoredRecord(
                    entry.name, entry.kind, entry.length, pack.modified, pack_id=pack.pack_id
                )

    def usage(self) -> StoreUsage:
        """How many records and bytes the store holds (one listing, no reads of content)."""
        loose = size = 0
        for kind in (ObjectKind.BLOB, ObjectKind.MANIFEST):
            for info in self.backend.list(loose_prefix(kind)):
                loose += 1
                size += info.size
        self.catalog.refresh()
        packs = self.catalog.packs()
        return StoreUsage(
            loose=loose,
            packs=len(packs),
            packed=sum(len(p.entries) for p in packs),
            bytes=size + sum(p.size for p in packs),
        )

    # -- writing (see uploads.py and writer.py) -----------------------------------

    def put_bytes(self, data: bytes | bytearray | memoryview) -> ObjectRef:
        """Store ``data`` and return its reference (chunked when large)."""
        return uploads.put_bytes(self, data)

    def put_file(self, path: Path | str, *, progress: Progress | None = None) -> ObjectRef:
        """Store a file's content, streamed (chunked above the threshold)."""
        return uploads.put_file(self, Path(path), progress=progress)

    def put_stream(self, stream: BinaryIO, *, progress: Progress | None = None) -> ObjectRef:
        """Store everything read from a binary stream, with bounded memory."""
        return uploads.put_stream(self, stream, progress=progress)

    def put_files(
        self,
        paths: Iterable[Path | str],
        *,
        progress: Progress | None = None,
        stats: TransferStats | None = None,
        sizes: list[int] | None = None,
    ) -> list[ObjectRef]:
        """Store many files at once (small ones packed); references in the input order.

        ``sizes``: the files' sizes when the caller has just stat-ed them (saves a
        stat per file; a file whose size differs from it is caught by the caller).
        """
        return uploads.put_files(self, list(paths), progress=progress, stats=stats, sizes=sizes)

    # The upload transport (uploads.UploadTarget): records written by a RecordWriter.

    @property
    def asks_in_bulk(self) -> bool:
        """A bucket answers for many names with one listing; a folder, with a stat each."""
        return self.backend.remote

    def store_blob(self, digest: Digest, data: bytes | bytearray | memoryview) -> None:
        name = self.name_for(digest)
        if not self.has_name(name, ObjectKind.BLOB):
            record = records.encode(ObjectKind.BLOB, memoryview(data), name, self.codec)
            self.backend.write(loose_key(name, ObjectKind.BLOB), record)

    def writer(self, *, pack_small: bool, stats: TransferStats | None = None) -> RecordWriter:
        """Large chunks go into streamed packs in a local store."""
        return RecordWriter(self, pack_small=pack_small, pack_large=True, stats=stats)

    # -- reading (see files.py) --------------------------------------------------

    def read_bytes(self, digest: Digest) -> bytes:
        """The whole content of an object, verified (mind the memory for large ones)."""
        return b"".join(self.iter_content(digest))

    def iter_content(self, digest: Digest, *, progress: Progress | None = None) -> Iterator[bytes]:
        """The content in pieces (each chunk verified, then the whole at the end)."""
        from shipyard.objects.files import iter_content

        return iter_content(self, digest, progress=progress)

    def get_file(
        self, digest: Digest, dest: Path | str, *, progress: Progress | None = None
    ) -> None:
        """Write an object's content to ``dest`` atomically (verified before it appears)."""
        from shipyard.objects.files import get_file

        get_file(self, digest, Path(dest), progress=progress)

    def get_files(
        self, items: Iterable[tuple[Digest, Path | str]], *, progress: Progress | None = None
    ) -> None:
        """Write many objects to their destinations, in parallel."""
        from shipyard.objects.files import get_files

        get_files(self, [(d, Path(p)) for d, p in items], progress=progress)

    # -- transfers (copy_objects; see transfer.py) ---------------------------------

    def describe(self, digests: Iterable[Digest]) -> dict[Digest, Held]:
        """What the store holds of ``digests`` (manifests read for their chunks)."""
        from shipyard.objects.transfer import describe

        return describe(self, digests)

    def read_blobs(
        self, sizes: Mapping[Digest, int], *, workers: int
    ) -> Iterator[tuple[Digest, bytes]]:
        """Verified blobs, a pack's records read with a few coalesced ranged reads."""
        from shipyard.objects.transfer import read_blobs

        return read_blobs(self, sizes, workers)

    def receive(
        self,
        blobs: Iterable[tuple[Digest, bytes]],
        manifests: Mapping[Digest, Sequence[ChunkRef]],
        *,
        stats: TransferStats,
        progress: Progress,
        workers: int,
    ) -> None:
        """Write blobs this store lacks (small ones packed), then the manifests."""
        from shipyard.objects.transfer import receive

        receive(self, blobs, manifests, stats=stats, progress=progress, workers=workers)

    # -- deleting ----------------------------------------------------------------

    def delete(self, digests: Iterable[Digest]) -> int:
        """Remove objects (not the chunks of a manifest: ``gc`` does that); returns how many.

        Packed records are removed by rewriting their pack without them.
        """
        from shipyard.objects.gc import delete_names

        return delete_names(self, {self.name_for(d) for d in digests})
