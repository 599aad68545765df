"""Records, packs and encryption codecs: round trips and refusals."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipyard.core.digest import digest_of
from shipyard.core.errors import ConfigError, IntegrityError
from shipyard.core.object_layout import ObjectKind
from shipyard.objects import records
from shipyard.objects.encryption import AesGcmCodec, PlainCodec, StoreKey
from shipyard.objects.packs import PackBuilder, decode_index

KEY = StoreKey(os.urandom(32), "test")
CODECS = [PlainCodec(), AesGcmCodec(KEY)]


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=5000), st.sampled_from(list(ObjectKind)), st.sampled_from(CODECS))
def test_records_round_trip(data: bytes, kind: ObjectKind, codec: PlainCodec) -> None:
    name = codec.name_for(digest_of(data))
    decoded = records.decode(records.encode(kind, data, name, codec), name, codec)
    assert decoded.kind is kind
    assert decoded.plaintext == data


@pytest.mark.parametrize("codec", CODECS, ids=["plain", "aes"])
def test_pack_index_round_trips(codec: PlainCodec) -> None:
    builder = PackBuilder(codec, target_size=400)
    names = []
    for i in range(30):
        data = f"object {i}".encode()
        name = codec.name_for(digest_of(data))
        assert builder.add(
            name, ObjectKind.BLOB, records.encode(ObjectKind.BLOB, data, name, codec)
        )
        names.append(name)
    assert not builder.add(names[0], ObjectKind.BLOB, b"again")
    assert builder.full
    built = builder.finish()
    entries = {e.name: e for e in decode_index(built.index, built.pack_id, codec)}
    assert set(entries) == set(names)
    entry = entries[names[7]]
    raw = built.data[entry.offset : entry.offset + entry.length]
    assert records.decode(raw, names[7], codec).plaintext == b"object 7"


def test_a_flipped_bit_fails_authentication() -> None:
    codec = AesGcmCodec(KEY)
    name = codec.name_for(digest_of(b"secret"))
    stored = bytearray(records.encode(ObjectKind.BLOB, b"secret", name, codec))
    stored[-3] ^= 1
    with pytest.raises(IntegrityError, match="failed authentication"):
        records.decode(bytes(stored), name, codec)


def test_a_record_cannot_be_moved_to_another_name() -> None:
    codec = AesGcmCodec(KEY)
    name = codec.name_for(digest_of(b"a"))
    other = codec.name_for(digest_of(b"b"))
    with pytest.raises(IntegrityError):
        records.decode(records.encode(ObjectKind.BLOB, b"a", name, codec), other, codec)


def test_another_key_cannot_read_a_record() -> None:
    mine, theirs = AesGcmCodec(KEY), AesGcmCodec(StoreKey(os.urandom(32)))
    name = "ab" * 32
    with pytest.raises(IntegrityError):
        records.decode(records.encode(ObjectKind.BLOB, b"x", name, mine), name, theirs)


def test_keyed_names_hide_content_digests_but_are_stable() -> None:
    codec = AesGcmCodec(KEY)
    digest = digest_of(b"content")
    assert codec.name_for(digest) != digest.hex
    assert codec.name_for(digest) == AesGcmCodec(KEY).name_for(digest)


def test_store_keys_parse_hex_and_base64_and_never_show_themselves() -> None:
    import base64

    raw = os.urandom(32)
    assert StoreKey.parse(raw.hex(), "x").material == raw
    assert StoreKey.parse(base64.b64encode(raw).decode() + "\n", "x").material == raw
    key = StoreKey(raw, "file k")
    assert raw.hex() not in repr(key)
    assert raw.hex() not in str(key)
    with pytest.raises(ConfigError, match="not 32 bytes") as caught:
        StoreKey.parse("c0ffee" * 5, "environment variable K")
    assert "c0ffee" not in caught.value.one_line()


def test_garbage_is_not_a_record() -> None:
    with pytest.raises(IntegrityError, match="not a Shipyard record"):
        records.decode(b"hello world", "ab" * 32, PlainCodec())
