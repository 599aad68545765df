"""Encrypted stores: round trip, dedup, refusals, and no plaintext anywhere on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipyard.core.errors import ConfigError
from shipyard.objects import StoreKey, check_store, open_store

MARKER = b"SHIPYARD-PLAINTEXT-MARKER-7f3a"


def _all_stored_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_round_trip_dedup_and_no_plaintext_on_disk(tmp_path: Path) -> None:
    key = StoreKey.generate()
    root = tmp_path / "store"
    store = open_store(root, key=key, encrypt=True)
    big = (MARKER + os.urandom(200)) * 40_000  # ~9 MiB: chunked
    (tmp_path / "big").write_bytes(big)
    paths = []
    for i in range(50):
        paths.append(tmp_path / f"small{i}")
        paths[-1].write_bytes(MARKER + f" small {i}".encode())
    ref = store.put_file(tmp_path / "big")
    refs = store.put_files(paths)
    usage = store.usage()
    assert store.put_file(tmp_path / "big") == ref
    store.put_files(paths)
    assert store.usage() == usage  # dedup within the encrypted store
    assert store.read_bytes(ref.digest) == big
    assert store.read_bytes(refs[9].digest) == paths[9].read_bytes()

    stored = _all_stored_bytes(root)
    assert MARKER not in stored
    assert ref.digest.hex.encode() not in stored
    names = " ".join(str(p.relative_to(root)) for p in root.rglob("*"))
    assert ref.digest.hex[2:] not in names
    assert refs[0].digest.hex[2:] not in names
    assert check_store(store, [ref.digest]).ok


def test_wrong_key_is_refused_before_reading(tmp_path: Path) -> None:
    root = tmp_path / "store"
    open_store(root, key=StoreKey.generate(), encrypt=True).put_bytes(b"x")
    with pytest.raises(ConfigError, match="is not the key of the object store"):
        open_store(root, key=StoreKey(os.urandom(32), "key file /k"))


def test_missing_key_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "store"
    open_store(root, key=StoreKey.generate(), encrypt=True)
    with pytest.raises(ConfigError, match="encrypted and no key is configured"):
        open_store(root)


def test_a_plain_store_is_not_silently_used_when_encryption_is_asked(tmp_path: Path) -> None:
    open_store(tmp_path / "store").put_bytes(b"x")
    with pytest.raises(ConfigError, match="is not encrypted"):
        open_store(tmp_path / "store", key=StoreKey.generate(), encrypt=True)


def test_encryption_without_a_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no key is configured"):
        open_store(tmp_path / "store", encrypt=True)
    assert not (tmp_path / "store" / "shipyard-store.json").exists()
