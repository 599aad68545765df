from __future__ import annotations

import blake3
import pytest

from shipyard.core.digest import Digest, ObjectRef, digest_of
from shipyard.core.errors import InvalidInput


def test_digest_is_plain_blake3_of_the_content() -> None:
    assert digest_of(b"abc").hex == blake3.blake3(b"abc").hexdigest()
    big = bytes(3 * 1024 * 1024)
    assert digest_of(big).hex == blake3.blake3(big).hexdigest()


def test_parse_accepts_prefix_and_upper_case() -> None:
    hexed = "AB" * 32
    assert Digest.parse(f"blake3:{hexed}") == Digest("ab" * 32)
    assert str(Digest.parse(hexed)) == "ab" * 32
    assert Digest("ab" * 32).short == "abababababab"


@pytest.mark.parametrize("text", ["", "xyz", "ab" * 31, "md5:" + "ab" * 32, "ab" * 33])
def test_bad_digests_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        Digest.parse(text)


def test_object_ref_round_trips_and_checks_versions() -> None:
    ref = ObjectRef(digest_of(b"x"), 1)
    data = ref.to_dict()
    assert data["type"] == "shipyard.object"
    assert data["algorithm"] == "blake3"
    assert ObjectRef.from_dict(data) == ref
    with pytest.raises(InvalidInput, match="newer"):
        ObjectRef.from_dict({**data, "version": 99})
    with pytest.raises(InvalidInput):
        ObjectRef.from_dict({**data, "size": -1})
    with pytest.raises(InvalidInput):
        ObjectRef.from_dict({**data, "digest": 5})
