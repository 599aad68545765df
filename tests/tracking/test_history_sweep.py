"""The merge behind every history read: stored chunks in, values in order out.

Checked against the obvious reference (every value in memory, sorted by step,
then timestamp, then logging order) on chunks that overlap, repeat steps and
timestamps, and come in any batch sizes; read forwards and backwards, in
pages, within step ranges and resumed from any page's cursor.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from shipyard.core.errors import IntegrityError, InvalidInput
from shipyard.tracking.history import decode_cursor, encode_cursor
from shipyard.tracking.history_sweep import ChunkRow, Sweep, paginate
from shipyard.tracking.metric_chunks import FORMAT, pack

Point = tuple[int, int, float]  # step, timestamp, value


def _chunks(rng: random.Random, overlapping: bool) -> list[tuple[int, list[Point]]]:
    """(seq, points) as flushes store them; steps mostly increase, sometimes not."""
    chunks, step, seq = [], 0, 0
    for _ in range(rng.randint(0, 25)):
        seq += rng.randint(1, 3)
        points = []
        for _ in range(rng.randint(1, 40)):
            if overlapping and rng.random() < 0.2:
                step = max(-5, step - rng.randint(0, 30))  # a resumed run, steps logged again
            step += rng.choice([0, 1, 1, 2])
            points.append((step, 1000 + rng.randint(0, 3), rng.choice([0.5, 1.0, -2.0, 3.25])))
        chunks.append((seq, points))
    return chunks


def _rows(chunks: Sequence[tuple[int, list[Point]]]) -> list[tuple[ChunkRow, int, int]]:
    rows = []
    for seq, points in chunks:
        c = pack([p[0] for p in points], [p[1] for p in points], [p[2] for p in points])
        row: ChunkRow = (seq, FORMAT, c.count, c.steps, c.timestamps, c.values)
        rows.append((row, c.min_step, c.max_step))
    return rows


def _reference(chunks: Sequence[tuple[int, list[Point]]], descending: bool) -> list[Point]:
    tagged = [(s, t, seq, i, v) for seq, points in chunks for i, (s, t, v) in enumerate(points)]
    tagged.sort(key=lambda p: p[:4], reverse=descending)
    return [(s, t, v) for s, t, _seq, _i, v in tagged]


def _walk(
    rows: list[tuple[ChunkRow, int, int]],
    rng: random.Random,
    *,
    descending: bool = False,
    lo: int | None = None,
    hi: int | None = None,
    after: str | None = None,
    page_size: int = 7,
) -> list[tuple[list[Point], str | None]]:
    """Pages as the store would give them, in batches of random size."""
    if descending:
        ordered = sorted(rows, key=lambda r: (-r[2], -r[0][0]))
    else:
        ordered = sorted(rows, key=lambda r: (r[1], r[0][0]))
    ordered = [r for r in ordered if (lo is None or r[2] >= lo) and (hi is None or r[1] <= hi)]
    sweep = Sweep(lo=lo, hi=hi, after=decode_cursor(after) if after else None,
                  descending=descending)  # fmt: skip

    def blocks() -> Iterator:  # type: ignore[type-arg]
        i = 0
        while i < len(ordered):
            size = rng.randint(1, 4)
            batch, i = ordered[i : i + size], i + size
            bound = None
            if i < len(ordered):
                bound = ordered[i][2] if descending else ordered[i][1]
            out = sweep.feed([r[0] for r in batch], bound)
            if out is not None:
                yield out

    return [
        (
            list(zip(p.steps.tolist(), p.timestamps.tolist(), p.values.tolist(), strict=True)),
            p.next_cursor,
        )
        for p in paginate(blocks(), "loss", page_size)
    ]


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("descending", [False, True])
def test_pages_are_the_sorted_history_whatever_the_chunks(seed: int, descending: bool) -> None:
    rng = random.Random(seed)
    chunks = _chunks(rng, overlapping=seed % 2 == 0)
    rows = _rows(chunks)
    expected = _reference(chunks, descending)
    pages = _walk(rows, rng, descending=descending)
    assert [p for page, _ in pages for p in page] == expected
    assert all(len(page) == 7 for page, _ in pages[:-1])
    assert [cursor is None for _, cursor in pages] == [
        i == len(pages) - 1 for i in range(len(pages))
    ]
    # Resuming after any page's cursor gives exactly the rest, whatever the page size.
    seen = 0
    for page, cursor in pages[:-1]:
        seen += len(page)
        rest = _walk(rows, rng, descending=descending, after=cursor, page_size=rng.randint(1, 50))
        assert [p for part, _ in rest for p in part] == expected[seen:]


@pytest.mark.parametrize("seed", range(20))
def test_a_step_range_keeps_both_ends(seed: int) -> None:
    rng = random.Random(seed)
    chunks = _chunks(rng, overlapping=True)
    lo, hi = sorted([rng.randint(-5, 60), rng.randint(-5, 60)])
    for descending in (False, True):
        expected = [p for p in _reference(chunks, descending) if lo <= p[0] <= hi]
        pages = _walk(_rows(chunks), rng, descending=descending, lo=lo, hi=hi)
        assert [p for page, _ in pages for p in page] == expected


def test_nan_and_infinities_come_back_as_logged() -> None:
    chunks = [(1, [(0, 1, float("nan")), (1, 2, float("inf")), (2, 3, float("-inf"))])]
    [(page, cursor)] = _walk(_rows(chunks), random.Random(0))
    assert cursor is None
    values = np.array([v for _s, _t, v in page])
    assert np.isnan(values[0])
    assert values[1] == np.inf
    assert values[2] == -np.inf


def test_no_chunks_no_pages() -> None:
    assert _walk([], random.Random(0)) == []


def test_extreme_steps_do_not_overflow() -> None:
    top = 2**63 - 1
    chunks = [(1, [(top, 0, 1.0), (-top, 0, 2.0)]), (2, [(0, 0, 3.0), (top, -top, 4.0)])]
    for descending in (False, True):
        pages = _walk(_rows(chunks), random.Random(1), descending=descending)
        assert [p for page, _ in pages for p in page] == _reference(chunks, descending)


def test_a_corrupt_or_unknown_chunk_is_refused() -> None:
    c = pack([1, 2], [1, 2], [1.0, 2.0])
    with pytest.raises(IntegrityError, match="corrupt"):
        Sweep().feed([(1, FORMAT, 2, c.steps[:-1], c.timestamps, c.values)], None)
    with pytest.raises(IntegrityError, match="format 9"):
        Sweep().feed([(1, 9, 2, c.steps, c.timestamps, c.values)], None)


def test_cursors_round_trip_and_garbage_is_bad_input() -> None:
    place = (-(2**63) + 1, 2**63 - 1, 12, 0)
    assert decode_cursor(encode_cursor(place)) == place
    for text in ("", "abc", "!!!", encode_cursor(place)[:-3]):
        with pytest.raises(InvalidInput, match="cursor"):
            decode_cursor(text)
