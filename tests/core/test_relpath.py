"""The one validator of relative paths from untrusted bytes: what passes stays inside."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipyard.core.errors import InvalidInput, UnsafePath
from shipyard.core.relpath import (
    MAX_PART_BYTES,
    MAX_PATH_CHARS,
    check_relpath,
    check_relpaths,
    is_reserved,
)

HOSTILE = [
    "../.git/config",
    "a/../../b",
    "/etc/passwd",
    "C:/Windows",
    "c:x",
    "a\\..\\b",
    "a\x00b",
    "a\nb",
    "a\x85b",
    ".git/hooks/post-checkout",
    "deep/down/.git/config",
    "x/.GIT/config",
    "x/.git./config",
    "x/.git /config",
    "git~1/config",
    "x/.g\u200cit/config",
    "\ufeff.git/config",
    ".shipyard/keys/signing-key.pem",
    "a/.Shipyard/x",
    "shipya~1/keys",
    "a//b",
    "./a",
    "a/.",
    "a/",
    "",
    "\ud800",
    "a" * (MAX_PART_BYTES + 1),
    "a/" * (MAX_PATH_CHARS // 2) + "b",
]


@pytest.mark.parametrize("path", HOSTILE, ids=repr)
def test_hostile_paths_are_refused_naming_the_entry(path: str) -> None:
    with pytest.raises(UnsafePath) as caught:
        check_relpath(path, what="entry of folder listing 0123abcd")
    error = caught.value
    assert isinstance(error, InvalidInput)  # exit 2 on the CLI, 400 over HTTP
    assert "entry of folder listing 0123abcd" in error.message
    assert "\n" not in error.one_line()
    assert "\x00" not in error.one_line()
    assert len(error.one_line()) < 400


@pytest.mark.parametrize(
    "path",
    ["train.csv", "images/cat 01.png", "a/b/c.d.e", "ünïcode/データ.csv", "a..b/c", ".hidden"],
)
def test_ordinary_paths_pass_unchanged(path: str) -> None:
    assert check_relpath(path) == path


def test_a_non_text_entry_is_refused() -> None:
    with pytest.raises(UnsafePath, match="is not text"):
        check_relpath(["a"])


def test_listings_refuse_duplicates_and_a_file_that_is_also_a_folder() -> None:
    check_relpaths(["a/b", "a/c", "b"])
    with pytest.raises(UnsafePath, match="appears twice"):
        check_relpaths(["a", "b", "a"])
    with pytest.raises(UnsafePath, match="both a file and a folder"):
        check_relpaths(["a/b/c", "a/b"])


def test_reserved_names_in_every_spelling() -> None:
    assert all(
        is_reserved(n) for n in (".git", ".GIT", ".git.", "GIT~1", ".shipyard", ".ShipYard ")
    )
    assert not any(is_reserved(n) for n in ("git", ".gitignore", ".github", "shipyard"))


_PARTS = st.sampled_from(
    ["a", "b", "..", ".", "", ".git", ".GIT", "git~1", ".shipyard", "/", "\\", "\x00", "\n",
     "C:", "é", "\u200c", " ", ".", "~", "x" * 300]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PARTS, min_size=1, max_size=8).map("".join) | st.text(max_size=40))
def test_whatever_passes_stays_inside_and_names_no_reserved_folder(path: str) -> None:
    try:
        check_relpath(path)
    except UnsafePath:
        return
    joined = posixpath.normpath(posixpath.join("/root", path))
    assert joined.startswith("/root/")
    assert joined == "/root/" + path  # already normal: nothing to collapse
    assert "\\" not in path
    assert not any(ord(c) < 32 for c in path)
    assert not any(is_reserved(part) for part in path.split("/"))
