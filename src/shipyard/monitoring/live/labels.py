"""Ground-truth labels sent as feedback, ready to join to a window of predictions.

Feedback arrives after the predictions it labels, so labels are read from the
window's start up to now. A label names a request (``_row`` -1: every row of
it) or one row of it; when the same row is labelled twice, the latest label
wins, and a row's own label wins over its request's. Labels of mixed types
across batches (``1`` in one, ``"yes"`` in another) are compared as text.
Labels are a small fraction of traffic and are held in memory (Arrow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from shipyard.monitoring.live.window import Window, log_tables

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["Labels", "attach_labels", "load_labels"]

LABEL = "_label"


@dataclass(frozen=True)
class Labels:
    by_row: pa.Table
    """``_request_id``, ``_row``, ``_label``: one label per row (latest wins)."""
    by_request: pa.Table
    """``_request_id``, ``_label``: one label for every row of a request."""

    @property
    def count(self) -> int:
        return int(self.by_row.num_rows + self.by_request.num_rows)

    @property
    def label_type(self) -> pa.DataType:
        return self.by_row.schema.field(LABEL).type


def load_labels(
    ctx: Context,
    model: str,
    window: Window,
    *,
    now: datetime,
    skipped: Callable[[str], None] | None = None,
) -> Labels:
    """Every label sent for ``model`` since the window started."""
    parts: list[pa.Table] = []
    for table in log_tables(ctx, model, window, kind="feedback", until=now, skipped=skipped):
        if not {"_request_id", "_row", "label"} <= set(table.column_names):
            continue
        label = table["label"].combine_chunks()
        if pa.types.is_null(label.type):
            continue
        parts.append(
            pa.table(
                {
                    "_request_id": table["_request_id"].cast(pa.string()),
                    "_row": table["_row"].cast(pa.int64()),
                    "_time": table["_time"],
                    LABEL: _plain(label),
                }
            )
        )
    if not parts:
        empty = pa.table(
            {
                "_request_id": pa.array([], pa.string()),
                "_row": pa.array([], pa.int64()),
                "_time": pa.array([], pa.timestamp("us", tz="UTC")),
                LABEL: pa.array([], pa.float64()),
            }
        )
        parts = [empty]
    types = {p.schema.field(LABEL).type for p in parts}
    if len(types) > 1:
        parts = [p.set_column(3, LABEL, p[LABEL].cast(pa.string())) for p in parts]
    every = pa.concat_tables(parts)
    every = _latest(every.filter(pc.is_valid(every[LABEL])))
    whole = pc.equal(every["_row"], -1)
    by_request = every.filter(whole).select(["_request_id", LABEL])
    by_row = every.filter(pc.invert(whole)).select(["_request_id", "_row", LABEL])
    return Labels(by_row, by_request)


def _plain(label: pa.Array) -> pa.Array:
    """Numbers as float64, booleans as 0/1, anything else as text."""
    if pa.types.is_boolean(label.type):
        return label.cast(pa.int64()).cast(pa.float64())
    if pa.types.is_integer(label.type) or pa.types.is_floating(label.type):
        return label.cast(pa.float64())
    return label.cast(pa.string())


def _latest(table: pa.Table) -> pa.Table:
    """One label per (request, row): the one sent last."""
    if table.num_rows == 0:
        return table
    order = pc.sort_indices(table, sort_keys=[("_time", "ascending")])
    table = table.take(order).append_column("_i", pa.array(range(table.num_rows), pa.int64()))
    last = table.group_by(["_request_id", "_row"]).aggregate([("_i", "max")])
    return table.take(last["_i_max"]).drop_columns(["_i"])


def attach_labels(predictions: pa.Table, labels: Labels) -> pa.Table:
    """The labelled rows of ``predictions`` (key and flat columns only), with ``_label``."""
    if labels.count == 0 or predictions.num_rows == 0:
        return predictions.slice(0, 0).append_column(LABEL, pa.nulls(0, labels.label_type))
    keyed = predictions.set_column(
        predictions.schema.get_field_index("_row"),
        "_row",
        predictions["_row"].cast(pa.int64()),
    )
    joined = keyed.join(labels.by_row, keys=["_request_id", "_row"], join_type="left outer")
    whole = labels.by_request.rename_columns(["_request_id", "_label_all"])
    joined = joined.join(whole, keys="_request_id", join_type="left outer")
    label = pc.coalesce(joined[LABEL], joined["_label_all"])
    joined = joined.drop_columns([LABEL, "_label_all"]).append_column(LABEL, label)
    return joined.filter(pc.is_valid(joined[LABEL]))
