"""Writing records: in parallel, with bounded memory, loose or into packs.

A :class:`RecordWriter` is one batch of writes. Each blob is hashed, named,
skipped if the store has it, encoded (encrypted) and written by a worker
thread; records smaller than the pack threshold go into a shared pack when
``pack_small`` is on; with ``pack_large`` the chunks of large files in a local
store go into big packs streamed to disk (:mod:`shipyard.objects.streampack`).
Manifests are written last, after every chunk and pack
is durable, so a manifest in the store always means its chunks are there too
(transfers and ``fsck`` rely on it). On error the writer still flushes the
packs it filled (a retry then skips their records) but writes no manifest.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from shipyard.core.digest import Digest, digest_of
from shipyard.core.object_layout import ObjectKind, index_key, loose_key, pack_key
from shipyard.objects import records
from shipyard.objects.inflight import Budget, Resolved
from shipyard.objects.manifest import ChunkRef, Manifest
from shipyard.objects.packs import PackBuilder
from shipyard.objects.progress import NO_PROGRESS, Progress, TransferStats
from shipyard.objects.streampack import StreamingPack, streams_packs

if TYPE_CHECKING:
    from shipyard.objects.store import ObjectStore

__all__ = ["RecordWriter"]

DEFAULT_INFLIGHT = 32 * 1024 * 1024
INLINE_BELOW = 64 * 1024
"""Blobs smaller than this are hashed and packed in the caller's thread: for tiny
records a hand-off to a worker costs more than the work (and the GIL ping-pong
of thousands of hand-offs slows the caller's own reads)."""


class RecordWriter:
    """A batch of writes to one store; use as a context manager."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        pack_small: bool,
        pack_large: bool = False,
        stats: TransferStats | None = None,
        progress: Progress | None = None,
        workers: int | None = None,
        max_inflight: int = DEFAULT_INFLIGHT,
    ) -> None:
        self.store = store
        self.stats = stats if stats is not None else TransferStats()
        self.progress = progress or NO_PROGRESS
        self._pack_small = pack_small
        self._pack_large = pack_large and streams_packs(store)
        self._large: StreamingPack | None = None
        self._large_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=workers or store.workers, thread_name_prefix="shipyard-put"
        )
        self._budget = Budget(max_inflight)
        self._lock = threading.Lock()
        self._pack: PackBuilder | None = None
        self._manifests: dict[str, tuple[Digest, Manifest]] = {}
        self._futures: list[Future[Any]] = []
        self._error: BaseException | None = None

    # -- submitting -------------------------------------------------------------

    def submit_blob(
        self,
        data: bytes | memoryview,
        digest: Digest | None = None,
        *,
        known_missing: bool = False,
        on_done: Callable[[ChunkRef], None] | None = None,
        release: Callable[[], None] | None = None,
    ) -> Future[ChunkRef]:
        """Store ``data`` (hashed by the worker unless ``digest`` is given).

        ``known_missing`` skips the existence check (the caller asked the store
        in bulk). ``on_done`` gets the chunk's reference once it is stored;
        ``release`` is called when the writer no longer needs ``data``, whether
        the write succeeded or not. Blocks while too many bytes are in flight.
        """
        if self._pack_small and len(data) < INLINE_BELOW:
            return self._inline(data, digest, known_missing, on_done, release)
        return self._submit(
            len(data), release, on_done, self._write_blob, data, digest, known_missing
        )

    def submit_blobs(
        self,
        batch: list[tuple[memoryview, Callable[[], None]]],
        *,
        on_done: Callable[[ChunkRef], None] | None = None,
    ) -> Future[list[ChunkRef]]:
        """Store each ``(data, release)`` of ``batch`` in one worker task, in order.

        For the chunks of one stream: a task per chunk cost a thread hand-off,
        a future and a wake-up each, which on two cores took time from the
        hashing. ``release`` is called for each item once the batch is done
        (or failed); blocks while too many bytes are in flight.
        """

        def release_all() -> None:
            for _, release in batch:
                release()

        size = sum(len(data) for data, _ in batch)
        datas = [data for data, _ in batch]
        return self._submit(size, release_all, None, self._write_blobs, datas, on_done)

    def _submit(
        self,
        size: int,
        release: Callable[[], None] | None,
        on_done: Callable[[ChunkRef], None] | None,
        work: Callable[..., Any],
        *args: Any,
    ) -> Future[Any]:
        """Run ``work(*args)`` on a worker once ``size`` bytes fit the in-flight budget;
        ``release`` is called when it is done, or at once if it cannot be submitted."""
        try:
            self.raise_if_failed()
            self._budget.acquire(size)
        except BaseException:
            if release is not None:
                release()
            raise
        try:
            future = self._pool.submit(work, *args)
        except BaseException:
            self._budget.release(size)
            if release is not None:
                release()
            raise
        future.add_done_callback(lambda f: self._finished(f, size, on_done, release))
        self._futures.append(future)
        return future

    def _write_blobs(
        self, batch: list[memoryview], on_done: Callable[[ChunkRef], None] | None
    ) -> list[ChunkRef]:
        refs = []
        for data in batch:
            ref = self._write_blob(data, None, False)
            if on_done is not None:
                on_done(ref)
            refs.append(ref)
        return refs

    def packs_inline(self, size: int) -> bool:
        """Whether a blob of ``size`` bytes is packed in the caller's thread."""
        return self._pack_small and size < INLINE_BELOW

    def put_inline(self, data: bytes | memoryview) -> ChunkRef:
        """Store a tiny blob now, in this thread (see :meth:`packs_inline`); raises on error."""
        self.raise_if_failed()
        try:
            return self._write_blob(data, None, False)
        except BaseException as exc:
            if self._error is None:
                self._error = exc
            raise

    def _inline(
        self,
        data: bytes | memoryview,
        digest: Digest | None,
        known_missing: bool,
        on_done: Callable[[ChunkRef], None] | None,
        release: Callable[[], None] | None,
    ) -> Future[ChunkRef]:
        try:
            self.raise_if_failed()
            future = Resolved(self._write_blob(data, digest, known_missing), None)
        except BaseException as exc:
            future = Resolved(None, exc)
            if self._error is None:
                self._error = exc
        finally:
            if release is not None:
                release()
        self._futures.append(future)
        if future.error is None and on_done is not None:
            on_done(future.result())
        return future

    def add_manifest(self, digest: Digest, manifest: Manifest) -> None:
        """Write ``manifest`` under ``digest`` once everything else is stored."""
        self._manifests[digest.hex] = (digest, manifest)

    def flush(self) -> None:
        """Nothing to do: every blob is handed to a worker as it is submitted."""

    def raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    # -- workers ----------------------------------------------------------------

    def _finished(
        self,
        future: Future[Any],
        size: int,
        on_done: Callable[[ChunkRef], None] | None,
        release: Callable[[], None] | None = None,
    ) -> None:
        error = future.exception() if not future.cancelled() else None
        if error is not None and self._error is None:
            self._error = error  # before the release: whoever waits on it sees the failure
        self._budget.release(size)
        if release is not None:
            release()
        if error is not None:
            return
        if on_done is not None and not future.cancelled():
            try:
                on_done(future.result())
            except BaseException as exc:  # a progress callback may abort the batch
                if self._error is None:
                    self._error = exc

    def _write_blob(
        self, data: bytes | memoryview, digest: Digest | None, known_missing: bool
    ) -> ChunkRef:
        if self._error is not None:
            raise self._error
        if digest is None:
            digest = digest_of(data)
        ref = ChunkRef(digest, len(data))
        name = self.store.name_for(digest)
        if not known_missing and self._stored_already(name, len(data)):
            self.stats.skip(len(data))
            return ref
        self._store_record(name, ObjectKind.BLOB, data, len(data))
        return ref

    def _stored_already(self, name: str, size: int) -> bool:
        """Whether to skip writing ``name``. A blob bound for a pack in a local store is
        looked up in the packs only: a stat per tiny file cost more than hashing it,
        and the rare copy of a loose record is harmless (``gc`` keeps one)."""
        if self._pack_small and size < INLINE_BELOW and not self.store.backend.remote:
            return self.store.in_pack(name)
        return self.store.has_name(name, ObjectKind.BLOB)

    def _store_record(
        self, name: str, kind: ObjectKind, plaintext: bytes | memoryview, size: int
    ) -> None:
        parts = records.encode_parts(kind, plaintext, name, self.store.codec)
        stored_size = len(parts[0]) + len(parts[1])
        if self._pack_large and kind is ObjectKind.BLOB and stored_size >= INLINE_BELOW:
            self._add_large(name, parts, size)
            return
        if self._pack_small and stored_size < self.store.pack_threshold:
            record = b"".join(parts)
            full = None
            with self._lock:
                if self._pack is None:
                    self._pack = PackBuilder(self.store.codec, self.store.pack_size)
                if not self._pack.add(name, kind, record):
                    self.stats.skip(size)
                    return
                if self._pack.full:
                    full, self._pack = self._pack, None
            self.stats.wrote(size)
            if full is not None:
                self._write_pack(full)
            return
        self.store.backend.write(loose_key(name, kind), parts)
        self.stats.wrote(size)

    def _add_large(self, name: str, parts: tuple[bytes, bytes | memoryview], size: int) -> None:
        full = None
        with self._large_lock:
            self.raise_if_failed()  # another worker's write failed: add nothing more
            if self._large is None:
                self._large = StreamingPack(self.store)
            try:
                added = self._large.add(name, ObjectKind.BLOB, parts)
            except BaseException as exc:
                broken, self._large = self._large, None
                broken.abort()
                if self._error is None:
                    self._error = exc
                raise
            if not added:
                self.stats.skip(size)
                return
            if self._large.full:
                full, self._large = self._large, None
        self.stats.wrote(size)
        if full is not None:
            self._finish_large(full)

    def _finish_large(self, pack: StreamingPack) -> None:
        try:
            pack.finish()
        except BaseException:
            pack.abort()
            raise
        self.stats.packed()

    def _end_large(self, *, ok: bool) -> None:
        with self._large_lock:
            pack, self._large = self._large, None
        if pack is None:
            return
        if ok:
            self._finish_large(pack)
        else:
            pack.abort()

    def _write_pack(self, builder: PackBuilder) -> None:
        built = builder.finish()
        backend = self.store.backend
        backend.write(pack_key(built.pack_id), built.data)
        backend.write(index_key(built.pack_id), built.index)  # last: names a complete pack
        self.store.catalog.added(built, time.time())
        self.stats.packed()

    # -- finishing ----------------------------------------------------------------

    def _drain(self) -> None:
        for future in self._futures:
            try:
                future.result()
            except BaseException as exc:
                if self._error is None:
                    self._error = exc
        self._futures.clear()

    def _flush_pack(self) -> None:
        with self._lock:
            builder, self._pack = self._pack, None
        if builder is not None and len(builder):
            self._write_pack(builder)

    def close(self, *, ok: bool = True) -> None:
        """Wait for every write, flush the pack, then write the manifests (if ``ok``)."""
        try:
            self._drain()
            self._end_large(ok=ok and self._error is None)
            loose: list[tuple[str, bytes]] = []
            if ok and self._error is None:
                # A manifest may share the open pack with its chunks (the pack
                # appears all at once); a loose one waits until the pack is stored.
                for digest, manifest in self._manifests.values():
                    name = self.store.name_for(digest)
                    if self.store.has_name(name, ObjectKind.MANIFEST):
                        continue
                    body = manifest.encode()
                    if self._pack_small and len(body) < self.store.pack_threshold:
                        self._store_record(name, ObjectKind.MANIFEST, body, 0)
                    else:
                        loose.append((name, body))
            self._flush_pack()
            for name, body in loose:
                self._store_record(name, ObjectKind.MANIFEST, body, 0)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.raise_if_failed()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.close()
            return
        for future in self._futures:
            future.cancel()
        with contextlib.suppress(BaseException):  # the original error is the one to report
            self.close(ok=False)
