"""The store marker: created once, and the reasons a store is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shipyard.core.errors import IntegrityError, InvalidInput
from shipyard.objects import open_store
from shipyard.objects.chunking import DEFAULT_CHUNKING


def test_a_new_store_writes_its_marker(tmp_path: Path) -> None:
    open_store(tmp_path / "store")
    marker = json.loads((tmp_path / "store" / "shipyard-store.json").read_text())
    assert marker["type"] == "shipyard.objects.store"
    assert marker["format"] == 1
    assert marker["encryption"] is None
    assert marker["chunking"] == DEFAULT_CHUNKING.to_dict()


def test_a_store_from_a_newer_shipyard_is_refused(tmp_path: Path) -> None:
    open_store(tmp_path / "store")
    path = tmp_path / "store" / "shipyard-store.json"
    path.write_text(path.read_text().replace('"format": 1', '"format": 99'))
    with pytest.raises(InvalidInput, match="has format 99") as caught:
        open_store(tmp_path / "store")
    assert caught.value.hint == "upgrade Shipyard"


def test_a_damaged_marker_is_an_integrity_error(tmp_path: Path) -> None:
    open_store(tmp_path / "store")
    (tmp_path / "store" / "shipyard-store.json").write_text("{not json")
    with pytest.raises(IntegrityError, match=r"store marker .* is damaged"):
        open_store(tmp_path / "store")


def test_objects_without_a_marker_are_not_silently_adopted(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.put_bytes(b"x")
    (tmp_path / "store" / "shipyard-store.json").unlink()
    with pytest.raises(IntegrityError, match="holds objects but has no"):
        open_store(tmp_path / "store")


def test_the_stored_chunk_sizes_are_used(tmp_path: Path) -> None:
    open_store(tmp_path / "store")
    path = tmp_path / "store" / "shipyard-store.json"
    marker = json.loads(path.read_text())
    marker["chunking"] = {
        "min_size": 65536,
        "avg_size": 131072,
        "max_size": 262144,
        "threshold": 262144,
    }
    path.write_text(json.dumps(marker))
    store = open_store(tmp_path / "store")
    (tmp_path / "f").write_bytes(bytes(range(256)) * 8192)  # 2 MiB
    ref = store.put_file(tmp_path / "f")
    assert store.stat(ref.digest).chunks >= 8


def test_a_truncated_pack_index_is_reported_not_raised(tmp_path: Path) -> None:
    from shipyard.objects import check_store

    store = open_store(tmp_path / "store")
    files = []
    for i in range(5):
        files.append(tmp_path / f"{i}")
        files[-1].write_text(str(i))
    store.put_files(files)
    (index,) = (tmp_path / "store" / "packs").glob("*.idx")
    index.write_bytes(index.read_bytes()[:-10])
    again = open_store(tmp_path / "store")
    report = check_store(again)
    assert [p.object_id for p in report.problems] == [index.stem]
    assert "pack index" in report.problems[0].where
