from __future__ import annotations

from shipyard.core.ids import is_id, new_id


def test_ids_are_unique_and_well_formed() -> None:
    ids = {new_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(is_id(i) for i in ids)


def test_ids_sort_by_creation_time() -> None:
    earlier = new_id(now_ms=1_700_000_000_000)
    later = new_id(now_ms=1_700_000_000_001)
    assert earlier < later
    assert sorted([later, earlier]) == [earlier, later]


def test_is_id_rejects_other_shapes() -> None:
    assert not is_id("")
    assert not is_id("u" * 26)
    assert not is_id(new_id().upper())
    assert not is_id(new_id()[:-1])
