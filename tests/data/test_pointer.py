"""Pointer files: round trip, hand edits that are fine, and hand edits that are not."""

from __future__ import annotations

import pytest

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput
from shipyard.data.pointer import Pointer, parse_pointer

DIGEST = Digest("ab" * 32)
GOOD = f"""\
shipyard-data: 1
path: train.csv
kind: file
digest: blake3:{DIGEST.hex}
size: 120
files: 1
rows: 10
"""


def test_pointer_round_trips_and_is_readable_text() -> None:
    pointer = Pointer("data/train.csv", "file", DIGEST, 120, 1, rows=10, profile=Digest("cd" * 32))
    text = pointer.to_text()
    assert text.startswith("# Shipyard data pointer")
    assert f"digest: blake3:{DIGEST.hex}" in text
    assert parse_pointer(text.encode(), "data/train.csv", where="x") == pointer


def test_hand_edits_that_keep_the_meaning_are_accepted() -> None:
    edited = (
        "# my own comment\n" + GOOD.replace("rows: 10\n", "") + "reviewed-by: tess  # extra key\n"
    )
    pointer = parse_pointer(edited.encode(), "data/train.csv", where="x")
    assert pointer.digest == DIGEST
    assert pointer.rows is None


def test_names_with_spaces_are_quoted_and_read_back() -> None:
    pointer = Pointer("data/my file: v2.csv", "file", DIGEST, 1, 1)
    assert parse_pointer(pointer.to_text().encode(), "data/my file: v2.csv", where="x") == pointer


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("size: 120", "size: [120"), "not valid at line"),
        (GOOD.replace("kind: file", "kind: folder"), "'kind' in pointer file"),
        (GOOD.replace(DIGEST.hex, "xyz"), "is not a BLAKE3 digest"),
        (GOOD.replace("size: 120", "size: -4"), "'size' in pointer file"),
        (GOOD.replace("size: 120\n", ""), "lacks 'size'"),
        (GOOD.replace("shipyard-data: 1", "shipyard-data: 9"), "newer than this Shipyard"),
        (GOOD.replace("shipyard-data: 1\n", ""), "lacks 'shipyard-data: 1'"),
        (GOOD.replace("path: train.csv", "path: other.csv"), "is for 'other.csv'"),
        ("<<<<<<< HEAD\n" + GOOD + "=======\n" + GOOD + ">>>>>>> b\n", "merge conflict markers"),
        ("just some words", "is not a Shipyard data pointer"),
        ("", "is not a Shipyard data pointer"),
    ],
)
def test_corrupt_pointers_are_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_pointer(text.encode(), "data/train.csv", where="data/train.csv.yard")
    assert "data/train.csv.yard" in caught.value.message


def test_binary_garbage_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not UTF-8"):
        parse_pointer(b"\xff\xfe\x00bad", "x", where="x.yard")
