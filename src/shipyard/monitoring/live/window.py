"""A time window of a model's inference log, read one stored batch at a time.

The serving layer writes the log as Parquet batches in the object store,
indexed in ``inference_log_batches`` (docs/serving.md). :func:`log_tables`
asks the index for the batches overlapping the window and yields them one
by one, cut to the window, so a pass over a day of traffic holds one batch
(≤ a few thousand records) in memory at a time. A batch that cannot be read
(its object missing or damaged) is skipped and reported, never fatal.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, ShipyardError

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["META_COLUMNS", "Window", "choose_bucket", "log_tables"]

#: Columns the inference log adds around a request's inputs and outputs.
META_COLUMNS = ("_request_id", "_row", "_time", "_version", "_variant")
_TIME = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Window:
    """[start, end] in UTC, cut into buckets of ``bucket`` for metrics over time."""

    start: datetime
    end: datetime
    bucket: timedelta

    @classmethod
    def ending(
        cls, length: timedelta, end: datetime | None = None, bucket: timedelta | None = None
    ) -> Window:
        if length <= timedelta(0):
            raise InvalidInput("the window must be longer than 0s")
        end = (end or datetime.now(UTC)).astimezone(UTC)
        bucket = bucket or choose_bucket(length)
        if bucket <= timedelta(0):
            raise InvalidInput("the bucket must be longer than 0s")
        if length / bucket > 1000:
            raise InvalidInput(
                "the window holds more than 1,000 buckets", hint="choose a longer --bucket"
            )
        return cls(end - length, end, bucket)

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def bucket_starts(self) -> list[datetime]:
        """Start of every bucket, oldest first (the last one may be cut by ``end``)."""
        starts, at = [], self.start
        while at < self.end:
            starts.append(at)
            at += self.bucket
        return starts or [self.start]

    def bucket_index(self, times: pa.Array) -> pa.Array:
        """The bucket each timestamp falls in (0-based, clamped to the window)."""
        start = pa.scalar(self.start, _TIME)
        micros = pc.subtract(times.cast(_TIME), start).cast(pa.int64())
        size = int(self.bucket / timedelta(microseconds=1))
        index = pc.divide(micros, pa.scalar(size, pa.int64()))
        last = len(self.bucket_starts()) - 1
        return pc.min_element_wise(pc.max_element_wise(index, 0), last)

    def to_dict(self) -> dict[str, str | float]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "bucket_seconds": self.bucket.total_seconds(),
        }


def choose_bucket(length: timedelta) -> timedelta:
    """About 12–48 buckets per window: 5 min up to 2 h windows, hours up to 2 days, then days."""
    if length <= timedelta(hours=2):
        return timedelta(minutes=5)
    if length <= timedelta(days=2):
        return timedelta(hours=1)
    if length <= timedelta(days=14):
        return timedelta(hours=6)
    return timedelta(days=1)


def log_tables(
    ctx: Context,
    model: str,
    window: Window,
    *,
    kind: str = "predictions",
    until: datetime | None = None,
    skipped: Callable[[str], None] | None = None,
) -> Iterator[pa.Table]:
    """Each stored batch of ``model``'s log overlapping the window, cut to it (oldest first).

    ``until`` overrides the window's end (feedback arrives after the predictions
    it labels, so labels are read up to now). ``skipped(reason)`` hears about
    batches that could not be read.
    """
    from shipyard.serving.log_store import find_batches

    end = until or window.end
    lower, upper = pa.scalar(window.start, _TIME), pa.scalar(end, _TIME)
    for batch in find_batches(ctx, model, since=window.start, until=end, kind=kind):
        try:
            data = ctx.objects.read_bytes(Digest.parse(batch.digest))
            table = pq.read_table(io.BytesIO(data))
        except (ShipyardError, pa.ArrowInvalid, OSError) as exc:
            if skipped is not None:
                skipped(f"batch {batch.id} ({batch.rows:,} rows) could not be read: {exc}")
            continue
        if "_time" not in table.column_names or table.num_rows == 0:
            continue
        times = table["_time"]
        mask = pc.and_(pc.greater_equal(times, lower), pc.less_equal(times, upper))
        table = table.filter(mask)
        if table.num_rows:
            yield table
