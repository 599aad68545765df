"""The stat cache: prefix lookups, pushes remembered, and a damaged file replaced."""

from __future__ import annotations

from pathlib import Path

from shipyard.data.statcache import FileStat, StatCache


def test_lookup_returns_a_path_and_what_is_under_it_only(tmp_path: Path) -> None:
    stat = FileStat(1, 2, 3)
    with StatCache(tmp_path / "state.db") as cache:
        cache.remember(
            [("data", stat, "a"), ("data/x", stat, "b"), ("data2/y", stat, "c"), ("dat", stat, "d")]
        )
        assert set(cache.lookup("data")) == {"data", "data/x"}
        assert cache.known("data/x", stat) == "b"
        assert cache.known("data/x", FileStat(1, 2, 4)) is None  # another mtime: a miss
        cache.forget("data")
        assert set(cache.lookup("data")) == set()
        assert set(cache.lookup("data2")) == {"data2/y"}


def test_pushes_and_profiles_are_remembered(tmp_path: Path) -> None:
    with StatCache(tmp_path / "state.db") as cache:
        cache.remember_pushed("s3://b/p", ["d1", "d2"])
        assert cache.pushed("s3://b/p", ["d1", "d3"]) == {"d1"}
        assert cache.pushed("/other", ["d1"]) == set()
        cache.remember_profiles([("content", "profile", 7)])
        assert cache.profile_of("content") == ("profile", 7)


def test_a_damaged_cache_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database" * 100)
    with StatCache(path) as cache:
        cache.remember([("a", FileStat(1, 1, 1), "x")])
        assert cache.known("a", FileStat(1, 1, 1)) == "x"
