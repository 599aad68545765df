"""Destinations below a trusted root: never through a symbolic link, never outside."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.errors import UnsafePath
from shipyard.workspace.destinations import Destinations, refuse_links


def test_plain_paths_join_below_the_root(tmp_path: Path) -> None:
    dests = Destinations(tmp_path)
    assert dests.path("a/b/c.txt") == tmp_path / "a" / "b" / "c.txt"
    (tmp_path / "a").mkdir()
    assert dests.path("a/d") == tmp_path / "a" / "d"
    assert not (tmp_path / "a" / "b").exists()  # nothing is created


@pytest.mark.parametrize("link_at", ["a", "a/b", "a/b/c.txt"])
def test_a_link_at_any_level_is_refused(tmp_path: Path, link_at: str) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    outside.mkdir()
    parts = link_at.split("/")
    (root.joinpath(*parts[:-1])).mkdir(parents=True)
    root.joinpath(*parts).symlink_to(outside)
    with pytest.raises(UnsafePath, match="symbolic link") as caught:
        Destinations(root, what="file of data/x").path("a/b/c.txt")
    assert "file of data/x 'a/b/c.txt'" in caught.value.message
    assert list(outside.iterdir()) == []


def test_a_link_to_a_folder_inside_the_root_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    with pytest.raises(UnsafePath, match=r"\(alias is one\)"):
        refuse_links(tmp_path, "alias/x")


def test_the_root_itself_may_sit_under_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "via").symlink_to(tmp_path / "real")
    assert refuse_links(tmp_path / "via", "a/b") == tmp_path / "via" / "a" / "b"


def test_unsafe_text_is_refused_before_the_disk_is_looked_at(tmp_path: Path) -> None:
    with pytest.raises(UnsafePath, match=r"'\.\./x' is not a plain relative path"):
        refuse_links(tmp_path, "../x")
