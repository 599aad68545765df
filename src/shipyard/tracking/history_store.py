"""Reading one metric's history from the metadata store, in bounded memory.

The SQL side of :mod:`.history_sweep`: chunks of ``run_metric_chunks`` are
listed by lowest step (their step range and size only, streamed from the
database), gathered into batches of about :data:`BATCH_VALUES` values, and
only then are a batch's arrays fetched. So a read holds one batch (plus what
overlaps it), whether the history has a hundred values or a billion, and
whether they came in 20,000-value flushes or one value per flush.

Functions take an open session; the service checks permissions around them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from shipyard.tracking.downsample import Downsampler
from shipyard.tracking.entities import MetricPoint
from shipyard.tracking.history import PAGE_SIZE, Cursor, MetricSummary
from shipyard.tracking.history_sweep import ChunkRow, Columns, Sweep, paginate
from shipyard.tracking.tables import MetricChunkRow

__all__ = ["BATCH_VALUES", "history_columns", "history_points", "summarize"]

BATCH_VALUES = 65_536
"""Values fetched together (a larger chunk is fetched alone)."""
_BATCH_CHUNKS = 500  # keeps the IN list of a fetch short on every database
_LISTED = 2_000  # chunk descriptions the database hands over at a time

_chunks = cast(Table, MetricChunkRow.__table__)


def _batches(
    session: Session,
    run_id: str,
    key: str,
    *,
    lo: int | None,
    hi: int | None,
    descending: bool,
) -> Iterator[tuple[list[ChunkRow], int | None]]:
    """Batches of chunks that may hold steps in ``lo``…``hi``, in the sweep's order, each
    with the bound of the chunk after it (its lowest step; its highest, descending)."""
    c = _chunks.c
    listing = select(c.seq, c.min_step, c.max_step, c.count).where(c.run_id == run_id, c.key == key)
    if lo is not None:
        listing = listing.where(c.max_step >= lo)
    if hi is not None:
        listing = listing.where(c.min_step <= hi)
    order = (c.max_step.desc(), c.seq.desc()) if descending else (c.min_step.asc(), c.seq.asc())
    described = session.execute(listing.order_by(*order).execution_options(yield_per=_LISTED))
    group: list[int] = []
    held = 0
    for seq, low, high, count in described:
        if group and (held + count > BATCH_VALUES or len(group) >= _BATCH_CHUNKS):
            yield _fetch(session, group), high if descending else low
            group, held = [], 0
        group.append(seq)
        held += count
    if group:
        yield _fetch(session, group), None


def _fetch(session: Session, seqs: Sequence[int]) -> list[ChunkRow]:
    """The stored arrays of these chunks, in this order (one deleted meanwhile is skipped)."""
    c = _chunks.c
    found = {
        row[0]: (row[0], row[1], row[2], bytes(row[3]), bytes(row[4]), bytes(row[5]))
        for row in session.execute(
            select(c.seq, c.format, c.count, c.steps, c.timestamps, c["values"]).where(
                c.seq.in_(seqs)
            )
        )
    }
    return [found[seq] for seq in seqs if seq in found]


def history_columns(
    session: Session,
    run_id: str,
    key: str,
    *,
    start_step: int | None = None,
    end_step: int | None = None,
    after: Cursor | None = None,
    descending: bool = False,
) -> Iterator[Columns]:
    """The values of one metric with steps in ``start_step``…``end_step`` (both included),
    after ``after``, in order (reversed when ``descending``), batch by batch."""
    sweep = Sweep(lo=start_step, hi=end_step, after=after, descending=descending)
    lo, hi = start_step, end_step
    if after is not None:  # chunks wholly before the cursor need not be read
        if descending:
            hi = after[0] if hi is None else min(hi, after[0])
        else:
            lo = after[0] if lo is None else max(lo, after[0])
    for rows, bound in _batches(session, run_id, key, lo=lo, hi=hi, descending=descending):
        final = sweep.feed(rows, bound)
        if final is not None:
            yield final


def history_points(session: Session, run_id: str, key: str) -> list[MetricPoint]:
    """Every value as a :class:`MetricPoint` (the list API; it costs what the list weighs)."""
    pages = paginate(history_columns(session, run_id, key), key, PAGE_SIZE)
    return [point for page in pages for point in page.points()]


def _bounds(session: Session, run_id: str, key: str) -> tuple[int | None, int | None]:
    c = _chunks.c
    low, high = session.execute(
        select(func.min(c.min_step), func.max(c.max_step)).where(c.run_id == run_id, c.key == key)
    ).one()
    return low, high


def summarize(
    session: Session,
    run_id: str,
    key: str,
    buckets: int,
    *,
    start_step: int | None = None,
    end_step: int | None = None,
) -> MetricSummary:
    """The values in ``start_step``…``end_step`` (default: the whole history) in at most
    ``buckets`` buckets of equal step width (see :mod:`.downsample`)."""
    lo, hi = start_step, end_step
    if lo is None or hi is None:
        low, high = _bounds(session, run_id, key)
        if low is None or high is None:
            return MetricSummary(key, lo, hi, 0, 0)
        lo = low if lo is None else lo
        hi = high if hi is None else hi
    if lo > hi:  # a range beyond the values logged
        return MetricSummary(key, start_step, end_step, 0, 0)
    sampler = Downsampler(key, lo, hi, buckets)
    for cols in history_columns(session, run_id, key, start_step=lo, end_step=hi):
        sampler.add(cols)
    return sampler.summary()
