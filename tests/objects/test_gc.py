"""gc deletes only unreferenced objects older than the grace period."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from shipyard.core.digest import Digest
from shipyard.objects import (
    ObjectStore,
    check_store,
    collect_garbage,
    open_store,
    register_reference_source,
    unregister_reference_source,
)

NOW_PLUS_A_DAY = 86400.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ObjectStore]:
    made = open_store(tmp_path / "store")
    yield made
    made.close()


def _later() -> float:
    import time

    return time.time() + NOW_PLUS_A_DAY


def test_unreferenced_objects_go_referenced_ones_and_their_chunks_stay(
    store: ObjectStore, tmp_path: Path
) -> None:
    big = random.Random(5).randbytes(9 * 1024 * 1024)
    (tmp_path / "big").write_bytes(big)
    kept_big = store.put_file(tmp_path / "big")
    kept = store.put_bytes(b"keep me")
    dropped = store.put_bytes(b"drop me")
    (tmp_path / "other").write_bytes(random.Random(6).randbytes(9 * 1024 * 1024))
    dropped_big = store.put_file(tmp_path / "other")
    before = store.usage().records

    report = collect_garbage(
        store, [kept_big.digest, kept.digest], grace=timedelta(hours=1), now=_later()
    )
    assert store.has(kept.digest)
    assert store.read_bytes(kept_big.digest) == big
    assert not store.has(dropped.digest)
    assert not store.has(dropped_big.digest)
    assert len(report.garbage) == before - store.usage().records
    assert report.freed_bytes > 9 * 1024 * 1024
    assert check_store(store, [kept_big.digest, kept.digest]).ok


def test_the_grace_period_protects_new_objects(store: ObjectStore) -> None:
    young = store.put_bytes(b"upload in flight")
    report = collect_garbage(store, [], grace=timedelta(hours=1))
    assert store.has(young.digest)
    assert report.young == 1
    assert report.garbage == []


def test_dry_run_lists_and_deletes_nothing(store: ObjectStore) -> None:
    ref = store.put_bytes(b"unreferenced")
    report = collect_garbage(store, [], grace=timedelta(0), dry_run=True, now=_later())
    assert [r.name for r in report.garbage] == [ref.digest.hex]
    assert store.has(ref.digest)


def test_packs_are_rewritten_keeping_the_live_records(store: ObjectStore, tmp_path: Path) -> None:
    paths = []
    for i in range(30):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(f"packed {i}")
    refs = store.put_files(paths)
    live = [r.digest for r in refs[:10]]
    report = collect_garbage(store, live, grace=timedelta(0), now=_later())
    assert report.packs_rewritten == 1
    assert len(report.garbage) == 20
    assert store.missing([r.digest for r in refs]) == {r.digest for r in refs[10:]}
    assert store.read_bytes(live[3]) == b"packed 3"
    assert store.usage().packed == 10


def test_leftovers_of_killed_writers_are_removed(store: ObjectStore) -> None:
    root = store.backend.root  # type: ignore[attr-defined]
    (root / "tmp").mkdir(exist_ok=True)
    (root / "tmp" / "dead.tmp").write_bytes(b"half")
    (root / "packs").mkdir(exist_ok=True)
    orphan = root / "packs" / f"{'e' * 64}.pack"
    orphan.write_bytes(b"pack without index")
    report = collect_garbage(store, [], grace=timedelta(0), now=_later())
    assert sorted(report.leftovers) == [f"packs/{'e' * 64}.pack", "tmp/dead.tmp"]
    assert not orphan.exists()
    assert not (root / "tmp" / "dead.tmp").exists()


def test_reference_sources_are_gc_roots(workspace: Path) -> None:
    from shipyard.context import open_context
    from shipyard.objects.gc import gc

    with open_context() as ctx:
        kept = ctx.objects.put_bytes(b"referenced by a dataset")
        lost = ctx.objects.put_bytes(b"referenced by nothing")
        register_reference_source("test-datasets", lambda _ctx: [kept.digest.hex])
        try:
            report = gc(ctx, grace=timedelta(0))
        finally:
            unregister_reference_source("test-datasets")
        assert ctx.objects.has(kept.digest)
        assert not ctx.objects.has(lost.digest)
        assert report.referenced == 1


def test_a_failing_source_stops_gc_before_deleting(workspace: Path) -> None:
    from shipyard.context import open_context
    from shipyard.core.errors import Unavailable
    from shipyard.objects.gc import gc

    def broken(_ctx: object) -> list[Digest]:
        raise RuntimeError("database went away")

    with open_context() as ctx:
        ref = ctx.objects.put_bytes(b"must survive")
        register_reference_source("broken", broken)
        try:
            with pytest.raises(Unavailable, match="'broken' failed"):
                gc(ctx, grace=timedelta(0))
        finally:
            unregister_reference_source("broken")
        assert ctx.objects.has(ref.digest)
