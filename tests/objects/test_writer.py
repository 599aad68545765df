"""Batch writes: tiny files are packed without asking the disk about each one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from shipyard.objects import check_store, open_store
from shipyard.objects.writer import RecordWriter


def test_a_small_file_whose_content_is_stored_loose_is_packed_beside_it(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    loose = store.put_bytes(b"same content")
    (tmp_path / "a.txt").write_bytes(b"same content")
    (tmp_path / "b.txt").write_bytes(b"other content")
    refs = store.put_files([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert refs[0] == loose
    assert store.read_bytes(refs[0].digest) == b"same content"
    assert check_store(store, [r.digest for r in refs]).ok
    # Adding the same files again finds them in the pack and writes nothing.
    again = store.put_files([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert again == refs
    assert len(store.catalog.packs()) == 1


def test_a_batch_of_chunks_is_stored_in_order_and_every_chunk_released_once(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "store")
    pieces = [bytes([i]) * (700_000 + i) for i in range(5)]
    released: list[int] = []
    done: list[int] = []
    with RecordWriter(store, pack_small=False, pack_large=True) as writer:
        batch = [(memoryview(p), lambda i=i: released.append(i)) for i, p in enumerate(pieces)]
        refs = writer.submit_blobs(batch, on_done=lambda ref: done.append(ref.size)).result()
    assert [r.size for r in refs] == [len(p) for p in pieces] == done
    assert sorted(released) == list(range(5))
    assert [store.read_bytes(r.digest) for r in refs] == pieces


def test_a_batch_after_a_failed_one_is_refused_and_still_released(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    released: list[int] = []

    def stop(_ref: object) -> None:
        raise KeyboardInterrupt  # what a progress bar's Ctrl-C looks like to the writer

    writer = RecordWriter(store, pack_small=False, pack_large=True)
    first = writer.submit_blobs(
        [(memoryview(b"a" * 600_000), lambda: released.append(1))], on_done=stop
    )
    assert isinstance(first.exception(), KeyboardInterrupt)
    while not released:  # the writer hears of the failure just after the future does
        time.sleep(0.001)
    with pytest.raises(KeyboardInterrupt):
        writer.submit_blobs([(memoryview(b"b" * 600_000), lambda: released.append(2))])
    assert sorted(released) == [1, 2]
    with pytest.raises(KeyboardInterrupt):
        writer.close(ok=False)
