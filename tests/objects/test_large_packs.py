"""Chunks of large files in a local store go into big packs streamed to disk."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from shipyard.core.object_layout import pack_key
from shipyard.objects import ObjectStore, check_store, collect_garbage, open_store
from shipyard.objects.packs import PACK_HEADER
from shipyard.objects.streampack import LARGE_PACK_SIZE

MiB = 1024 * 1024


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ObjectStore]:
    made = open_store(tmp_path / "store")
    yield made
    made.close()


def test_a_large_file_is_a_few_packs_and_reads_back(store: ObjectStore) -> None:
    data = random.Random(1).randbytes(2 * LARGE_PACK_SIZE + 12 * MiB)
    ref = store.put_stream(io.BytesIO(data))
    assert store.read_bytes(ref.digest) == data
    packs = store.catalog.packs()
    assert list(store.backend.list("objects/")) == []  # no loose chunk files
    assert len(packs) == 3
    assert sum(len(p.entries) for p in packs) == len(store.manifest(ref.digest).chunks)
    assert all(p.size <= LARGE_PACK_SIZE + 4 * MiB for p in packs)
    assert check_store(store, [ref.digest]).ok
    assert list(store.backend.scratch_files()) == []


def test_a_failed_put_leaves_no_manifest_and_no_half_pack(store: ObjectStore) -> None:
    rnd = random.Random(2)

    class Failing(io.RawIOBase):
        def __init__(self) -> None:
            self.left = 90 * MiB

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            if self.left <= 20 * MiB:
                raise OSError("the disk went away")
            n = min(len(buffer), self.left, MiB)
            buffer[:n] = rnd.randbytes(n)
            self.left -= n
            return n

    with pytest.raises(OSError, match="went away"):
        store.put_stream(Failing())
    assert list(store.backend.scratch_files()) == []
    for pack in store.catalog.packs():  # only complete packs were published
        raw = store.backend.read(pack_key(pack.pack_id))
        assert raw.startswith(PACK_HEADER)
        assert len(raw) == pack.size
    assert check_store(store).ok
    assert list(store.backend.list("manifests/")) == []
    assert not any(e.kind.name == "MANIFEST" for p in store.catalog.packs() for e in p.entries)


def test_gc_keeps_the_chunks_a_file_still_needs(store: ObjectStore, tmp_path: Path) -> None:
    kept = random.Random(3).randbytes(40 * MiB)
    dropped = random.Random(4).randbytes(40 * MiB)
    files = [tmp_path / "kept", tmp_path / "dropped"]
    files[0].write_bytes(kept)
    files[1].write_bytes(dropped)
    refs = store.put_files(files)  # one writer: both files' chunks share packs
    report = collect_garbage(store, [refs[0].digest], grace=timedelta(hours=1), now=9e9)
    assert report.freed_bytes >= 40 * MiB
    assert store.read_bytes(refs[0].digest) == kept
    assert not store.has(refs[1].digest)
    assert check_store(store, [refs[0].digest]).ok


def test_packs_named_the_earlier_way_still_read_and_check(store: ObjectStore) -> None:
    from shipyard.core.digest import digest_of
    from shipyard.core.object_layout import ObjectKind, index_key
    from shipyard.objects import records
    from shipyard.objects.packs import PackBuilder, encode_index

    builder = PackBuilder(store.codec)
    content = b"written by an earlier Shipyard"
    name = store.name_for(digest_of(content))
    builder.add(name, ObjectKind.BLOB, records.encode(ObjectKind.BLOB, content, name, store.codec))
    built = builder.finish()
    old_id = digest_of(built.data).hex  # packs were named by the hash of their bytes
    store.backend.write(pack_key(old_id), built.data)
    store.backend.write(index_key(old_id), encode_index(old_id, built.entries, store.codec))
    store.catalog.refresh()
    assert store.read_bytes(digest_of(content)) == content
    assert check_store(store, [digest_of(content)]).ok


_FULL_DISK = """
import io, random, resource, signal, sys
from shipyard.core.errors import Unavailable
from shipyard.objects import open_store
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big write fails with EFBIG instead
store = open_store(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (40 << 20, 40 << 20))
try:
    store.put_stream(io.BytesIO(random.Random(5).randbytes(90 << 20)))
except Unavailable as exc:
    print(exc.one_line())
"""


def test_a_write_the_disk_refuses_is_one_clear_error_and_leaves_no_scratch(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    root = tmp_path / "store"
    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(root)], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("cannot use "), done.stdout + done.stderr
    assert "File too large" in done.stdout
    store = open_store(root)
    assert list(store.backend.scratch_files()) == []
    assert list(store.backend.list("manifests/")) == []
    assert check_store(store).ok
