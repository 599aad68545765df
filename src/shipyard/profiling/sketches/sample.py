"""A uniform sample of whole rows, of bounded size, that merges (bottom-k).

Every row gets a pseudo-random key in [0, 1) derived from its position and a
salt; the sample is the ``size`` rows with the smallest keys (bottom-k
sampling, Cohen and Kaplan, 2007). Any set of rows is equally likely, the
sample of two streams is the bottom-k of the union of their samples, and the
same data always gives the same sample. Only rows whose key beats the current
k-th smallest are even looked at, so the cost after the first batches is tiny.

The drift check that needs raw rows (the domain classifier) reads this sample;
everything else in a profile is a summary.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from shipyard.profiling.sketches.hashing import uniform_keys

__all__ = ["DEFAULT_SAMPLE_ROWS", "RowSample"]

DEFAULT_SAMPLE_ROWS = 1000


class RowSample:
    """Up to ``size`` rows of a table, uniformly chosen."""

    def __init__(self, size: int = DEFAULT_SAMPLE_ROWS, salt: int = 0) -> None:
        self.size = max(0, size)
        self.salt = salt
        self.seen = 0
        self.keys: npt.NDArray[np.float64] = np.empty(0)
        self.table: pa.Table | None = None
        self._pending: list[tuple[npt.NDArray[np.float64], pa.Table]] = []
        self._pending_rows = 0

    def _threshold(self) -> float:
        return float(self.keys.max()) if self.keys.size >= self.size else 1.0

    def update(self, batch: pa.RecordBatch) -> None:
        rows = batch.num_rows
        start = self.seen
        self.seen += rows
        if self.size == 0 or rows == 0:
            return
        keys = uniform_keys(start, rows, self.salt)
        chosen = np.flatnonzero(keys < self._threshold())
        if chosen.size == 0:
            return
        self._pending.append((keys[chosen], pa.Table.from_batches([batch.take(pa.array(chosen))])))
        self._pending_rows += int(chosen.size)
        if self._pending_rows >= 4 * self.size:
            self._settle()

    def _settle(self) -> None:
        if not self._pending:
            return
        parts_keys = [self.keys, *(k for k, _ in self._pending)]
        tables = ([self.table] if self.table is not None else []) + [t for _, t in self._pending]
        self._pending, self._pending_rows = [], 0
        keys = np.concatenate(parts_keys)
        table = pa.concat_tables(tables, promote_options="permissive")
        keep = (
            np.sort(np.argpartition(keys, self.size - 1)[: self.size])
            if keys.size > self.size
            else np.arange(keys.size)
        )
        self.keys = keys[keep]
        self.table = table.take(pa.array(keep))

    def rows(self) -> pa.Table | None:
        """The sampled rows (in stream order), or None if nothing was sampled."""
        self._settle()
        return self.table

    def merged(self, other: RowSample) -> RowSample:
        out = RowSample(min(self.size, other.size), self.salt)
        out.seen = self.seen + other.seen
        for part in (self, other):
            table = part.rows()
            if table is not None:
                out._pending.append((part.keys, table))
        out._settle()
        return out

    def state(self) -> tuple[npt.NDArray[np.float64], pa.Table | None]:
        self._settle()
        return self.keys, self.table

    @classmethod
    def restore(
        cls, size: int, salt: int, seen: int, keys: npt.NDArray[np.float64], table: pa.Table | None
    ) -> RowSample:
        out = cls(size, salt)
        out.seen, out.keys, out.table = seen, keys, table
        return out

    def describe(self) -> dict[str, Any]:
        return {"size": self.size, "rows": int(self.keys.size), "seen": self.seen}
