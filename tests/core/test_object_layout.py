from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipyard.core.object_layout import (
    MARKER_KEY,
    KeyKind,
    ObjectKind,
    ParsedKey,
    audit_checkpoint_key,
    index_key,
    loose_key,
    pack_key,
    parse_key,
)

HEX = "0123456789abcdef"
names = st.text(alphabet=HEX, min_size=64, max_size=64)


def test_the_layout_is_stable() -> None:
    name = "ab" + "c" * 62
    assert loose_key(name, ObjectKind.BLOB) == f"objects/ab/{'c' * 62}"
    assert loose_key(name, ObjectKind.MANIFEST) == f"manifests/ab/{'c' * 62}"
    assert pack_key(name) == f"packs/{name}.pack"
    assert index_key(name) == f"packs/{name}.idx"
    assert MARKER_KEY == "shipyard-store.json"


@given(names, st.sampled_from(list(ObjectKind)))
def test_loose_keys_parse_back(name: str, kind: ObjectKind) -> None:
    parsed = parse_key(loose_key(name, kind))
    assert parsed.kind is KeyKind.LOOSE
    assert parsed.name == name
    assert parsed.object_kind is kind


@given(names)
def test_pack_keys_parse_back(name: str) -> None:
    assert parse_key(pack_key(name)).kind is KeyKind.PACK
    assert parse_key(index_key(name)).name == name


@pytest.mark.parametrize(
    "key", ["objects/ab", "objects/zz/" + "0" * 62, "packs/x.pack", "other/file", "objects/a/b"]
)
def test_other_keys_are_unknown(key: str) -> None:
    assert parse_key(key).kind is KeyKind.UNKNOWN


def test_marker_and_scratch_keys() -> None:
    assert parse_key(MARKER_KEY).kind is KeyKind.MARKER
    assert parse_key("tmp/abc.tmp").kind is KeyKind.TMP


def test_bad_names_are_refused() -> None:
    with pytest.raises(ValueError):
        loose_key("../../etc/passwd", ObjectKind.BLOB)


@given(st.integers(min_value=0, max_value=10**20 - 2), names)
def test_audit_checkpoint_keys_parse_back_in_chain_order(seq: int, name: str) -> None:
    key = audit_checkpoint_key(seq, name)
    assert key.startswith("audit/checkpoints/")
    assert parse_key(key) == ParsedKey(KeyKind.AUDIT_CHECKPOINT, name)
    assert audit_checkpoint_key(seq, name) < audit_checkpoint_key(seq + 1, name)


@pytest.mark.parametrize(
    "key", ["audit/checkpoints/12-" + "a" * 64 + ".json", "audit/checkpoints/x", "audit/other"]
)
def test_other_audit_keys_are_unknown(key: str) -> None:
    assert parse_key(key).kind is KeyKind.UNKNOWN


def test_bad_audit_checkpoint_names_are_refused() -> None:
    with pytest.raises(ValueError):
        audit_checkpoint_key(-1, "a" * 64)
    with pytest.raises(ValueError):
        audit_checkpoint_key(1, "../x")
