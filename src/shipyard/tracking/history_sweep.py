"""Stored chunks in, a history in order out: the merge behind every history read.

A history is stored as chunks (one per flush, :mod:`.metric_chunks`), each
with the lowest and highest step it holds. Reading them by lowest step, every
value below the next chunk's lowest step is final: no later chunk can come
before it. :class:`Sweep` keeps only the values that are not final yet, so a
run that logged increasing steps holds one batch of chunks at a time however
long its history (overlapping chunks, from resumed runs or steps logged out of
order, hold what overlaps). A descending read is the same walk over negated
steps, timestamps and positions: chunks by highest step, values from the end.

Order: step, then timestamp, then logging order (chunk seq, index in chunk).
Everything here is numpy over whole batches; no Python object per value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shipyard.tracking.history import Cursor, HistoryPage, encode_cursor
from shipyard.tracking.metric_chunks import check_stored

__all__ = ["ChunkRow", "Columns", "Sweep", "paginate"]

ChunkRow = tuple[int, int, int, bytes, bytes, bytes]
"""(seq, format, count, steps, timestamps, values) as stored."""

Ints = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Columns:
    """Values with their place in the order (seq and pos make ties unique)."""

    steps: Ints
    stamps: Ints
    values: NDArray[np.float64]
    seqs: Ints
    pos: Ints
    """Index of each value in its chunk."""

    def __len__(self) -> int:
        return len(self.steps)

    def cut(self, start: int, stop: int | None = None) -> Columns:
        part = slice(start, stop)
        return Columns(self.steps[part], self.stamps[part], self.values[part], self.seqs[part],
                       self.pos[part])  # fmt: skip

    def take(self, which: NDArray[np.intp] | NDArray[np.bool_]) -> Columns:
        return Columns(self.steps[which], self.stamps[which], self.values[which],
                       self.seqs[which], self.pos[which])  # fmt: skip

    def negated(self) -> Columns:
        return Columns(-self.steps, -self.stamps, self.values, -self.seqs, -self.pos)

    def last(self) -> Cursor:
        return (int(self.steps[-1]), int(self.stamps[-1]), int(self.seqs[-1]),
                int(self.pos[-1]))  # fmt: skip


def _concat(parts: Sequence[Columns]) -> Columns:
    if len(parts) == 1:
        return parts[0]
    return Columns(
        np.concatenate([p.steps for p in parts]),
        np.concatenate([p.stamps for p in parts]),
        np.concatenate([p.values for p in parts]),
        np.concatenate([p.seqs for p in parts]),
        np.concatenate([p.pos for p in parts]),
    )


def decode(rows: Sequence[ChunkRow]) -> Columns:
    """The values of stored chunks, in storage order, each checked first."""
    for _seq, fmt, count, steps, stamps, values in rows:
        check_stored(fmt, count, steps, stamps, values)

    def column(blobs: list[bytes], dtype: str) -> NDArray[Any]:
        data = blobs[0] if len(blobs) == 1 else b"".join(blobs)
        return np.frombuffer(data, dtype=dtype).astype(dtype[1:])  # a native, writable copy

    counts = np.fromiter((row[2] for row in rows), dtype=np.int64, count=len(rows))
    seqs = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    starts = np.cumsum(counts) - counts
    return Columns(
        column([row[3] for row in rows], "<i8"),
        column([row[4] for row in rows], "<i8"),
        column([row[5] for row in rows], "<f8"),
        np.repeat(seqs, counts),
        np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts),
    )


def _in_order(cols: Columns) -> bool:
    """Whether ``cols`` is strictly increasing by (step, timestamp, seq, index)."""
    if len(cols) < 2:
        return True
    s0, s1 = cols.steps[:-1], cols.steps[1:]
    if bool((s1 > s0).all()):  # the usual case: one value per step
        return True
    t0, t1 = cols.stamps[:-1], cols.stamps[1:]
    q0, q1 = cols.seqs[:-1], cols.seqs[1:]
    i0, i1 = cols.pos[:-1], cols.pos[1:]
    tail = (q1 > q0) | ((q1 == q0) & (i1 > i0))
    return bool(((s1 > s0) | ((s1 == s0) & ((t1 > t0) | ((t1 == t0) & tail)))).all())


def _after(cols: Columns, cursor: Cursor) -> NDArray[np.bool_]:
    step, stamp, seq, index = cursor
    s, t, q, i = cols.steps, cols.stamps, cols.seqs, cols.pos
    later = (q > seq) | ((q == seq) & (i > index))
    keep: NDArray[np.bool_] = (s > step) | ((s == step) & ((t > stamp) | ((t == stamp) & later)))
    return keep


class Sweep:
    """Batches of chunks (by lowest step, or highest when descending) in, values in order out.

    ``lo``/``hi`` keep only steps in that range (both ends included); ``after``
    keeps only values after that place in the order of the walk.
    """

    def __init__(
        self,
        *,
        lo: int | None = None,
        hi: int | None = None,
        after: Cursor | None = None,
        descending: bool = False,
    ) -> None:
        self.descending = descending
        if descending:  # walk the negated history forwards
            lo, hi = (None if hi is None else -hi), (None if lo is None else -lo)
            if after is not None:
                after = (-after[0], -after[1], -after[2], -after[3])
        self.lo, self.hi, self.after = lo, hi, after
        self._pending: Columns | None = None

    def feed(self, rows: Sequence[ChunkRow], next_bound: int | None) -> Columns | None:
        """Add a batch of chunks; return the values that are now final, in order.

        ``next_bound`` is the lowest step of the next chunk of the walk (the
        highest, when descending); None when this batch is the last.
        """
        cols = decode(rows) if rows else None
        if cols is not None:
            if self.descending:
                cols = cols.negated()
            cols = self._keep(cols)
        parts = [c for c in (self._pending, cols) if c is not None and len(c)]
        if not parts:
            return None
        merged = _concat(parts)
        if not _in_order(merged):
            merged = merged.take(np.lexsort((merged.pos, merged.seqs, merged.stamps, merged.steps)))
        if next_bound is None:
            final, self._pending = merged, None
        else:
            bound = -next_bound if self.descending else next_bound
            cut = int(np.searchsorted(merged.steps, bound, side="left"))
            final, self._pending = merged.cut(0, cut), merged.cut(cut)
        if not len(final):
            return None
        return final.negated() if self.descending else final

    def _keep(self, cols: Columns) -> Columns:
        mask: NDArray[np.bool_] | None = None
        for part in (
            None if self.lo is None else cols.steps >= self.lo,
            None if self.hi is None else cols.steps <= self.hi,
            None if self.after is None else _after(cols, self.after),
        ):
            if part is not None:
                mask = part if mask is None else mask & part
        if mask is None or bool(mask.all()):
            return cols
        return cols.take(mask)


def paginate(blocks: Iterable[Columns], key: str, size: int) -> Iterator[HistoryPage]:
    """Values in order, as pages of ``size`` (the last may be shorter; none if no values).

    A page goes out once a value after it is known, so the last page is the
    one with no ``next_cursor``.
    """
    held: list[Columns] = []
    count = 0
    for block in blocks:
        held.append(block)
        count += len(block)
        while count > size:
            cols = _concat(held)
            yield _page(key, cols.cut(0, size), more=True)
            rest = cols.cut(size)
            held, count = [rest], len(rest)
    if count:
        yield _page(key, _concat(held), more=False)


def _page(key: str, cols: Columns, *, more: bool) -> HistoryPage:
    return HistoryPage(
        key,
        cols.steps,
        cols.stamps,
        cols.values,
        next_cursor=encode_cursor(cols.last()) if more else None,
    )
