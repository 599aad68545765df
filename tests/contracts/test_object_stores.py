"""The object store contract, on a local folder and on S3 (moto), plain and encrypted."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shipyard.core.digest import Digest, digest_of
from shipyard.core.errors import NotFound
from shipyard.objects import ObjectStore, StoreKey, check_store, copy_objects, open_store

KEY = StoreKey(bytes(range(32)), "test")


@pytest.fixture(params=["local", "s3", "local-encrypted", "s3-encrypted"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    encrypted = request.param.endswith("encrypted")
    if request.param.startswith("s3"):
        made = open_store(
            request.getfixturevalue("s3_bucket_url"),
            endpoint_url=request.getfixturevalue("s3_endpoint"),
            key=KEY if encrypted else None,
            encrypt=encrypted,
        )
    else:
        made = open_store(tmp_path / "store", key=KEY if encrypted else None, encrypt=encrypted)
    yield made
    made.close()


def _random(size: int, seed: int = 0) -> bytes:
    import random

    return random.Random(seed).randbytes(size)


def test_put_get_has_delete_small(store: ObjectStore, tmp_path: Path) -> None:
    ref = store.put_bytes(b"hello objects")
    assert ref.digest == digest_of(b"hello objects")
    assert ref.size == 13
    assert store.has(ref.digest)
    assert store.read_bytes(ref.digest) == b"hello objects"
    store.get_file(ref.digest, tmp_path / "out" / "hello.txt")
    assert (tmp_path / "out" / "hello.txt").read_bytes() == b"hello objects"
    assert store.delete([ref.digest]) == 1
    assert not store.has(ref.digest)
    with pytest.raises(NotFound, match=ref.digest.hex):
        store.read_bytes(ref.digest)


def test_large_file_is_chunked_and_round_trips(store: ObjectStore, tmp_path: Path) -> None:
    data = _random(9 * 1024 * 1024 + 123)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    ref = store.put_file(src)
    assert ref.digest == digest_of(data)
    info = store.stat(ref.digest)
    assert info.chunks > 1
    assert info.size == len(data)
    store.get_file(ref.digest, tmp_path / "copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == data
    assert b"".join(store.iter_content(ref.digest)) == data


def test_empty_content(store: ObjectStore) -> None:
    ref = store.put_bytes(b"")
    assert store.read_bytes(ref.digest) == b""


def test_put_files_packs_small_files_and_reads_one_by_range(
    store: ObjectStore, tmp_path: Path
) -> None:
    paths = []
    for i in range(300):
        path = tmp_path / "many" / f"{i}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(f"file number {i}\n".encode() * 50)
        paths.append(path)
    refs = store.put_files(paths)
    usage = store.usage()
    assert usage.packs >= 1
    assert usage.packed == 300
    assert usage.loose == 0
    before = store.backend.requests
    assert store.read_bytes(refs[123].digest) == paths[123].read_bytes()
    assert store.backend.requests - before <= 2  # one ranged read (plus maybe a stat)
    assert store.missing([r.digest for r in refs]) == set()
    assert check_store(store).ok


def test_missing_answers_in_bulk(store: ObjectStore) -> None:
    present = [store.put_bytes(f"p{i}".encode()).digest for i in range(80)]
    absent = [digest_of(f"a{i}".encode()) for i in range(80)]
    assert store.missing(present + absent) == set(absent)


def test_deleting_a_packed_object_rewrites_its_pack(store: ObjectStore, tmp_path: Path) -> None:
    paths = []
    for i in range(10):
        path = tmp_path / f"{i}.txt"
        path.write_text(f"content {i}")
        paths.append(path)
    refs = store.put_files(paths)
    assert store.delete([refs[3].digest]) == 1
    assert not store.has(refs[3].digest)
    for i, ref in enumerate(refs):
        if i != 3:
            assert store.read_bytes(ref.digest) == f"content {i}".encode()
    assert store.usage().packs == 1


def test_concurrent_writers_of_the_same_object(store: ObjectStore, tmp_path: Path) -> None:
    data = _random(6 * 1024 * 1024, seed=7)
    src = tmp_path / "same.bin"
    src.write_bytes(data)
    results: list[Any] = []
    errors: list[BaseException] = []

    def put() -> None:
        try:
            results.append(store.put_file(src))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.digest for r in results}) == 1
    assert store.read_bytes(results[0].digest) == data
    assert check_store(store).ok


def test_interrupted_copy_resumes_with_only_the_rest(store: ObjectStore, tmp_path: Path) -> None:
    source = open_store(tmp_path / "source")
    paths = []
    for i in range(40):
        path = tmp_path / "files" / f"{i}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(_random(700 * 1024, seed=i))  # above the pack threshold: loose
        paths.append(path)
    refs = source.put_files(paths)
    digests = [r.digest for r in refs]

    class Interrupt:
        def __init__(self) -> None:
            self.done = 0

        def begin(self, description: str, total: int | None, unit: str = "bytes") -> None:
            pass

        def advance(self, amount: int) -> None:
            self.done += 1
            if self.done == 15:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_objects(source, store, digests, progress=Interrupt(), workers=2)
    left = store.missing(digests)
    assert 0 < len(left) < len(digests)
    stats = copy_objects(source, store, digests)
    assert stats.objects == len(left)
    assert stats.skipped == len(digests) - len(left)
    assert store.missing(digests) == set()
    assert store.read_bytes(digests[39]) == paths[39].read_bytes()
    again = copy_objects(source, store, digests)
    assert again.objects == 0


def test_copy_brings_chunks_and_manifests_between_stores(
    store: ObjectStore, tmp_path: Path
) -> None:
    source = open_store(tmp_path / "source", key=StoreKey(os.urandom(32)), encrypt=True)
    data = _random(10 * 1024 * 1024, seed=3)
    (tmp_path / "big").write_bytes(data)
    ref = source.put_file(tmp_path / "big")
    small = source.put_bytes(b"small one")
    stats = copy_objects(source, store, [ref.digest, small.digest])
    assert stats.objects >= 3
    assert stats.requests > 0
    assert store.read_bytes(ref.digest) == data
    back = open_store(tmp_path / "back")
    copy_objects(store, back, [ref.digest, small.digest])
    assert back.read_bytes(small.digest) == b"small one"
    assert check_store(back, [ref.digest, small.digest]).ok


def test_copy_of_an_unknown_object_copies_nothing(store: ObjectStore, tmp_path: Path) -> None:
    source = open_store(tmp_path / "source")
    known = source.put_bytes(b"known")
    unknown = Digest("0" * 64)
    with pytest.raises(NotFound, match="0000000000"):
        copy_objects(source, store, [known.digest, unknown])
    assert not store.has(known.digest)


def test_digest_file_names_what_put_file_stores(store: ObjectStore, tmp_path: Path) -> None:
    from shipyard.objects import digest_file

    for size in (0, 10, 9 * 1024 * 1024):
        path = tmp_path / f"f{size}"
        path.write_bytes(_random(size, seed=size))
        assert digest_file(path) == store.put_file(path)
