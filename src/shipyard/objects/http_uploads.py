"""Writing blobs to a team server: the transport :mod:`shipyard.objects.uploads` drives.

:class:`HttpWriter` is the HTTP counterpart of
:class:`~shipyard.objects.writer.RecordWriter`. Blobs (small files, the
chunks of large ones) are gathered into framed batches of up to 8 MiB (or
2,000 objects); a worker asks the server which of a batch's blobs it lacks,
unless the caller asked already, and sends those in one request. At most
``MAX_INFLIGHT`` bytes are gathered or in flight; manifests are recorded last,
once every blob arrived, so an interrupted upload resumes by sending only
what is still missing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest, digest_of
from shipyard.objects.inflight import Budget
from shipyard.objects.manifest import ChunkRef, Manifest
from shipyard.objects.progress import TransferStats

if TYPE_CHECKING:
    from shipyard.objects.http_store import HttpObjectStore

__all__ = ["BATCH_BYTES", "BATCH_COUNT", "MAX_INFLIGHT", "HttpWriter"]

BATCH_BYTES = 8 * 1024 * 1024
"""Content per framed batch request: blobs (at most one 4 MiB chunk each) travel
together, so a 1 GiB file is about 130 requests, not 1,000."""
BATCH_COUNT = 2000
MAX_INFLIGHT = 8 * BATCH_BYTES


@dataclass
class _Blob:
    data: bytes
    digest: Digest | None
    known_missing: bool
    on_done: Callable[[ChunkRef], None] | None
    future: Future[ChunkRef] = field(default_factory=Future)


class HttpWriter:
    """A batch of uploads to one project on a server; use as a context manager."""

    def __init__(self, store: HttpObjectStore, *, stats: TransferStats | None = None) -> None:
        self.store = store
        self.stats = stats if stats is not None else TransferStats()
        self._pool = ThreadPoolExecutor(max_workers=store.workers, thread_name_prefix="shipyard-up")
        self._budget = Budget(MAX_INFLIGHT)
        self._lock = threading.Lock()
        self._gathered: list[_Blob] = []
        self._gathered_bytes = 0
        self._sent: list[Future[None]] = []
        self._manifests: dict[Digest, Manifest] = {}
        self._error: BaseException | None = None

    # -- submitting -----------------------------------------------------------------------

    def submit_blob(
        self,
        data: bytes | memoryview,
        digest: Digest | None = None,
        *,
        known_missing: bool = False,
        on_done: Callable[[ChunkRef], None] | None = None,
    ) -> Future[ChunkRef]:
        """Upload ``data`` with the next batch (unless the server holds it)."""
        blob = _Blob(bytes(data), digest, known_missing, on_done)
        self._gather(blob)
        return blob.future

    def submit_blobs(
        self,
        batch: list[tuple[memoryview, Callable[[], None]]],
        *,
        on_done: Callable[[ChunkRef], None] | None = None,
    ) -> Future[list[ChunkRef]]:
        """Upload the chunks of one stream; each view is copied and released at once."""
        futures = []
        for view, release in batch:
            try:
                blob = _Blob(bytes(view), None, False, on_done)
            finally:
                release()
            self._gather(blob)
            futures.append(blob.future)
        return _all_of(futures)

    def packs_inline(self, size: int) -> bool:
        return False  # every blob travels in a batch

    def put_inline(self, data: bytes | memoryview) -> ChunkRef:
        future = self.submit_blob(data)
        self.flush()
        return future.result()

    def add_manifest(self, digest: Digest, manifest: Manifest) -> None:
        self._manifests[digest] = manifest

    def flush(self) -> None:
        """Send the batch being gathered now, however small."""
        with self._lock:
            self._send_gathered()

    def _gather(self, blob: _Blob) -> None:
        if self._error is not None:
            raise self._error
        size = len(blob.data)
        self._budget.acquire(size)  # released once its batch is sent (or failed)
        with self._lock:
            full = self._gathered and (
                self._gathered_bytes + size > BATCH_BYTES or len(self._gathered) >= BATCH_COUNT
            )
            if full:
                self._send_gathered()
            self._gathered.append(blob)
            self._gathered_bytes += size

    def _send_gathered(self) -> None:
        batch, size = self._gathered, self._gathered_bytes
        self._gathered, self._gathered_bytes = [], 0
        if not batch:
            return
        future = self._pool.submit(self._send, batch)
        future.add_done_callback(lambda _f: self._budget.release(size))
        self._sent.append(future)

    # -- workers ----------------------------------------------------------------------------

    def _send(self, batch: list[_Blob]) -> None:
        try:
            digests = [b.digest or digest_of(b.data) for b in batch]
            asked = [d for d, b in zip(digests, batch, strict=True) if not b.known_missing]
            absent = self.store.missing(asked) if asked else set()
            sending: dict[Digest, bytes] = {}
            for digest, blob in zip(digests, batch, strict=True):
                if (blob.known_missing or digest in absent) and digest not in sending:
                    sending[digest] = blob.data
            if sending:
                self.store.upload_batch(list(sending.items()))
        except BaseException as exc:
            if self._error is None:
                self._error = exc
            for blob in batch:
                blob.future.set_exception(exc)
            raise
        refs = [
            ChunkRef(digest, len(blob.data)) for digest, blob in zip(digests, batch, strict=True)
        ]
        for ref, blob in zip(refs, batch, strict=True):
            if sending.pop(ref.digest, None) is not None:
                self.stats.wrote(ref.size)
            else:
                self.stats.skip(ref.size)
            blob.future.set_result(ref)
        try:
            for ref, blob in zip(refs, batch, strict=True):
                if blob.on_done is not None:
                    blob.on_done(ref)
        except BaseException as exc:  # a progress callback may abort the upload
            if self._error is None:
                self._error = exc
            raise

    # -- finishing --------------------------------------------------------------------------

    def close(self, *, ok: bool = True) -> None:
        """Send what is gathered, wait for every batch, then record the manifests (if ``ok``)."""
        try:
            with self._lock:
                if ok and self._error is None:
                    self._send_gathered()
                else:
                    for blob in self._gathered:
                        blob.future.cancel()
                    self._gathered = []
            for future in self._sent:
                with contextlib.suppress(BaseException):  # kept in self._error
                    future.result()
            if ok and self._error is None and self._manifests:
                manifests = list(self._manifests.items())
                for _ in self._pool.map(lambda m: self._record(*m), manifests):
                    pass
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._error is not None:
            raise self._error

    def _record(self, digest: Digest, manifest: Manifest) -> None:
        self.store.upload_manifest(digest, manifest.chunks)
        self.stats.wrote(0)

    def __enter__(self) -> HttpWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.close()
            return
        with contextlib.suppress(BaseException):  # the original error is the one to report
            self.close(ok=False)


def _all_of(futures: list[Future[ChunkRef]]) -> Future[list[ChunkRef]]:
    """One future for a list of them: their results in order, or the first error."""
    out: Future[list[ChunkRef]] = Future()
    left = [len(futures)]
    lock = threading.Lock()

    def one_done(done: Future[ChunkRef]) -> None:
        with lock:
            if out.done():
                return
            if done.cancelled() or done.exception() is not None:
                error = done.exception() if not done.cancelled() else None
                out.set_exception(error or RuntimeError("an upload was cancelled"))
                return
            left[0] -= 1
            if left[0] == 0:
                out.set_result([f.result() for f in futures])

    if not futures:
        out.set_result([])
    for future in futures:
        future.add_done_callback(one_done)
    return out
