"""The server's side of object transfer: check what arrives, store it, serve it back.

Clients never touch the server's store records (which may be encrypted with
a key only the server holds): they send and receive *content*, named by its
BLAKE3 digest, and the server stores it its own way (``ctx.objects``: packs,
chunks, encryption, S3). Everything received is hashed before it is kept:

* a blob (``PUT``) or a batch of small ones (framed) must hash to the names
  given, else nothing of the request is recorded;
* a manifest (a large file as its chunks) is accepted only when the project
  holds every chunk and their concatenation hashes to the file's digest.

Large files move as their content-defined chunks, so an interrupted upload
resumes by asking :meth:`missing` again, and a new version of a large file
sends only the chunks that changed. Downloads serve whole objects (with
``Range``) or framed batches of small ones. Every operation is scoped to a
project and checked with :class:`~shipyard.objects.grants.ObjectGrants`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from shipyard.context import Context
from shipyard.core.digest import Digest, ObjectRef, digest_of, new_hasher
from shipyard.core.errors import InvalidInput, NotFound, Unavailable, WorkspaceNotFound
from shipyard.core.object_layout import ObjectKind
from shipyard.objects.chunking import DEFAULT_CHUNKING
from shipyard.objects.files import open_content
from shipyard.objects.framing import encode_frame, iter_frames
from shipyard.objects.grants import ObjectGrants
from shipyard.objects.manifest import ChunkRef, Manifest
from shipyard.objects.store import ObjectStore
from shipyard.objects.transfer import read_verified_blobs
from shipyard.objects.writer import RecordWriter

__all__ = ["BATCH_OBJECT_MAX", "ObjectExchange", "ObjectSummary"]

BATCH_OBJECT_MAX = DEFAULT_CHUNKING.max_size
"""The largest object a framed batch may carry (one chunk)."""


@dataclass(frozen=True)
class ObjectSummary:
    """What a client needs to fetch an object: its size, and its chunks if it has some."""

    digest: Digest
    size: int
    chunks: tuple[ChunkRef, ...] | None

    def to_dict(self) -> dict[str, object]:
        chunks = None
        if self.chunks is not None:
            chunks = [[c.digest.hex, c.size] for c in self.chunks]
        return {"digest": self.digest.hex, "size": self.size, "chunks": chunks}


class ObjectExchange:
    """Object transfer for one request's context (its principal and the server's store)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.grants = ObjectGrants(ctx.db)

    @property
    def store(self) -> ObjectStore:
        try:
            return self.ctx.objects
        except WorkspaceNotFound:
            raise Unavailable(
                "this server has no object store",
                hint="start it with --store s3://bucket/prefix (or an absolute folder)",
            ) from None

    # -- questions ---------------------------------------------------------------------

    def missing(self, project: str, digests: Sequence[Digest]) -> list[Digest]:
        """Those of ``digests`` the project does not hold (what a push must send)."""
        held = self.grants.held(self.ctx.principal, project, digests)
        lost = self.store.missing(held) if held else set()  # collected by gc meanwhile
        return [d for d in dict.fromkeys(digests) if d not in held or d in lost]

    def summaries(
        self, project: str, digests: Sequence[Digest]
    ) -> tuple[list[ObjectSummary], list[Digest]]:
        """Sizes and chunk lists of the objects the project holds; and those it lacks."""
        held = self.grants.held(self.ctx.principal, project, digests)
        store = self.store
        found = store.locate_many(held)
        manifests = [d for d, loc in found.items() if loc.kind is ObjectKind.MANIFEST]
        with ThreadPoolExecutor(max_workers=store.workers) as pool:
            read = dict(zip(manifests, pool.map(store.manifest, manifests), strict=True))
        summaries = []
        for digest in found:
            manifest = read.get(digest)
            if manifest is not None:
                summaries.append(ObjectSummary(digest, manifest.size, manifest.chunks))
            else:
                summaries.append(ObjectSummary(digest, held[digest], None))
        absent = [d for d in dict.fromkeys(digests) if d not in found]
        return summaries, absent

    # -- uploads -----------------------------------------------------------------------

    def put_blob(self, project: str, digest: Digest, data: bytes) -> ObjectRef:
        """Store ``data`` under ``digest`` after checking that it hashes to it."""
        self._may_write(project)
        _check_digest(digest, data)
        store = self.store
        ref = store.put_bytes(data)
        refs = [ref]
        manifest = store.manifest(ref.digest) if ref.size > store.chunking.threshold else None
        if manifest is not None:  # the server chunked it: its chunks are the project's too
            refs.extend(ObjectRef(c.digest, c.size) for c in manifest.chunks)
        self.grants.grant(self.ctx.principal, project, refs)
        return ref

    def put_many(self, project: str, body: bytes) -> list[ObjectRef]:
        """Store a framed batch of small objects, all checked before any is kept."""
        self._may_write(project)
        frames = list(iter_frames(body, max_size=BATCH_OBJECT_MAX))
        for digest, data in frames:
            _check_digest(digest, data)
        refs = [ObjectRef(d, len(data)) for d, data in frames]
        absent = self.store.missing({d for d, _ in frames})  # one listing, not one ask each
        with RecordWriter(self.store, pack_small=True) as writer:
            for digest, data in frames:
                if digest in absent:
                    absent.discard(digest)
                    writer.submit_blob(data, digest, known_missing=True)
        self.grants.grant(self.ctx.principal, project, refs)
        return refs

    def put_manifest(self, project: str, digest: Digest, chunks: Sequence[ChunkRef]) -> ObjectRef:
        """Record a large object as ``chunks``, which the project must hold already.

        Their content is read back and hashed: the manifest is kept only if it
        really makes up ``digest``.
        """
        self._may_write(project)
        if not chunks:
            raise InvalidInput("a chunked object needs at least one chunk")
        held = self.grants.held(self.ctx.principal, project, [c.digest for c in chunks])
        for chunk in chunks:
            if chunk.digest not in held:
                raise NotFound(
                    f"chunk {chunk.digest.hex} of object {digest.hex} is not in project "
                    f"{project!r}",
                    hint="upload the missing chunks first, then the manifest",
                )
            if held[chunk.digest] != chunk.size:
                raise InvalidInput(
                    f"chunk {chunk.digest.hex} has {held[chunk.digest]:,} bytes, not {chunk.size:,}"
                )
        manifest = Manifest.of(chunks)
        self._check_chunks_make(digest, manifest)
        with RecordWriter(self.store, pack_small=False) as writer:
            writer.add_manifest(digest, manifest)
        ref = ObjectRef(digest, manifest.size)
        self.grants.grant(self.ctx.principal, project, [ref])
        return ref

    def _check_chunks_make(self, digest: Digest, manifest: Manifest) -> None:
        store = self.store
        hasher = new_hasher(manifest.size)
        window = max(2, store.workers * 2)
        with ThreadPoolExecutor(max_workers=store.workers) as pool:
            pending: deque[Future[bytes]] = deque()
            chunks = iter(manifest.chunks)
            for chunk in chunks:
                pending.append(pool.submit(store.fetch_blob, chunk.digest))
                if len(pending) >= window:
                    break
            while pending:
                hasher.update(pending.popleft().result())
                following = next(chunks, None)
                if following is not None:
                    pending.append(pool.submit(store.fetch_blob, following.digest))
        if hasher.hexdigest() != digest.hex:
            raise InvalidInput(
                f"the chunks given do not make up object {digest.hex}; nothing was recorded",
                hint="upload the file again",
            )

    def _may_write(self, project: str) -> None:
        from shipyard.core.principal import Role
        from shipyard.store.projects import check_project_name

        check_project_name(project)
        self.ctx.principal.require(Role.CONTRIBUTOR, project, "store objects")

    # -- downloads ---------------------------------------------------------------------

    def open(
        self, project: str, digest: Digest, start: int = 0, end: int | None = None
    ) -> tuple[int, Iterator[bytes]]:
        """The object's size and its bytes from ``start`` to ``end`` (inclusive; verified).

        A whole object is verified against its digest as it streams; a range is
        served from verified chunks. Raises :class:`NotFound` if the project
        does not hold it.
        """
        self.grants.require(self.ctx.principal, project, [digest])
        store = self.store
        if start == 0 and end is None:
            return open_content(store, digest)
        manifest = store.manifest(digest)
        if manifest is None:
            data = store.fetch_blob(digest)
            size = len(data)
            last = size - 1 if end is None else min(end, size - 1)
            return size, iter((data[start : last + 1],))
        last = manifest.size - 1 if end is None else min(end, manifest.size - 1)
        return manifest.size, _chunk_range(store, manifest, start, last)

    def fetch_many(self, project: str, digests: Sequence[Digest]) -> Iterator[bytes | memoryview]:
        """Framed content of small objects the project holds (checked before any is sent)."""
        wanted = list(dict.fromkeys(digests))
        self.grants.require(self.ctx.principal, project, wanted)
        store = self.store
        found = store.locate_many(wanted)
        for digest in wanted:
            loc = found.get(digest)
            if loc is None:
                raise NotFound(f"object {digest.hex} is not in the server's store")
            if loc.kind is not ObjectKind.BLOB or loc.stored_size > BATCH_OBJECT_MAX + 1024:
                raise InvalidInput(
                    f"object {digest.hex} is chunked or large",
                    hint="download it on its own (GET …/objects/DIGEST)",
                )
        return _frames(read_verified_blobs(store, found, store.workers))


def _frames(blobs: Iterator[tuple[Digest, bytes]]) -> Iterator[bytes | memoryview]:
    for digest, data in blobs:
        yield from encode_frame(digest, data)


def _chunk_range(store: ObjectStore, manifest: Manifest, first: int, last: int) -> Iterator[bytes]:
    offset = 0
    for chunk in manifest.chunks:
        chunk_end = offset + chunk.size - 1
        if chunk_end >= first and offset <= last:
            data = store.fetch_blob(chunk.digest)
            yield data[max(first - offset, 0) : min(last, chunk_end) - offset + 1]
        if chunk_end >= last:
            return
        offset += chunk.size


def _check_digest(digest: Digest, data: bytes | memoryview) -> None:
    actual = digest_of(data)
    if actual != digest:
        raise InvalidInput(
            f"the bytes sent for object {digest.hex} have digest {actual.hex}; nothing was stored",
            hint="the upload was damaged or named wrongly: send it again",
        )
