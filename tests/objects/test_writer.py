"""Batch writes: tiny files are packed without asking the disk about each one."""

from __future__ import annotations

from pathlib import Path

from shipyard.objects import check_store, open_store


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
