"""The inference log's storage: Parquet batches in the object store, indexed in the database.

Layout (the contract monitoring reads; see docs/serving.md):

* every batch is one Parquet file (zstd) stored with ``ctx.objects.put_bytes``
  and named by its BLAKE3 digest like any object;
* one ``inference_log_batches`` row per file: project, model, version, kind
  (``predictions`` or ``feedback``), first and last record time, rows, digest,
  size;
* prediction files have one row per input row: ``_request_id`` (string),
  ``_row`` (int32, position in its request), ``_time`` (timestamp[us, UTC]),
  ``_version``, ``_variant`` (primary, canary or shadow), then each input column
  under its own name, then ``_prediction`` (one output) or ``_prediction.NAME``;
* feedback files: ``_request_id``, ``_row`` (-1: every row of the request),
  ``_time``, ``label``.

:func:`read_log` returns a model's records in a time window as one Arrow table.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput
from shipyard.core.ids import new_id
from shipyard.serving.tables import InferenceLogBatchRow

if TYPE_CHECKING:
    import pyarrow as pa

    from shipyard.context import Context

__all__ = ["FEEDBACK", "PREDICTIONS", "LogBatch", "find_batches", "read_log", "write_batch"]

PREDICTIONS = "predictions"
FEEDBACK = "feedback"
KINDS = (PREDICTIONS, FEEDBACK)


@dataclass(frozen=True)
class LogBatch:
    """One index entry: where a batch of records is and what time it covers."""

    id: str
    model: str
    version: str
    kind: str
    first_time: datetime
    last_time: datetime
    rows: int
    digest: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "kind": self.kind,
            "first_time": self.first_time.isoformat(),
            "last_time": self.last_time.isoformat(),
            "rows": self.rows,
            "digest": self.digest,
            "size": self.size,
        }


def write_batch(
    ctx: Context, *, model: str, version: str, kind: str, columns: dict[str, Any]
) -> LogBatch:
    """Store ``columns`` (name → list, ``_time`` holding aware datetimes) as one batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    times: list[datetime] = columns["_time"]
    table = _table(pa, columns)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    data = buffer.getvalue()
    ref = ctx.objects.put_bytes(data)
    row = InferenceLogBatchRow(
        id=new_id(),
        project=ctx.project,
        model=model,
        version=version,
        kind=kind,
        first_time=min(times),
        last_time=max(times),
        rows=table.num_rows,
        digest=str(ref.digest),
        size=len(data),
    )
    with ctx.db.write() as session:  # system records, not a user's change: not audited
        session.add(row)
        batch = _batch(row)
    return batch


def _table(pa: Any, columns: dict[str, Any]) -> pa.Table:
    arrays = {}
    for name, values in columns.items():
        if name == "_time":
            arrays[name] = pa.array(values, type=pa.timestamp("us", tz="UTC"))
            continue
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: keep them as text
            arrays[name] = pa.array([None if v is None else str(v) for v in values])
    return pa.table(arrays)


def find_batches(
    ctx: Context,
    model: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str = PREDICTIONS,
    version: str | None = None,
) -> list[LogBatch]:
    """Index entries of ``model``'s batches overlapping [since, until], oldest first."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown inference-log kind {kind!r}", hint="predictions or feedback")
    row = InferenceLogBatchRow
    query = select(row).where(row.project == ctx.project, row.model == model, row.kind == kind)
    if since is not None:
        query = query.where(row.last_time >= since)
    if until is not None:
        query = query.where(row.first_time <= until)
    if version is not None:
        query = query.where(row.version == version)
    with ctx.db.read() as session:
        return [_batch(r) for r in session.scalars(query.order_by(row.first_time, row.id))]


def read_log(
    ctx: Context,
    model: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str = PREDICTIONS,
    version: str | None = None,
) -> pa.Table:
    """``model``'s records (or labels) with ``_time`` in [since, until], as one table."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tables = []
    for batch in find_batches(ctx, model, since=since, until=until, kind=kind, version=version):
        table = pq.read_table(io.BytesIO(ctx.objects.read_bytes(Digest.parse(batch.digest))))
        mask = None
        if since is not None:
            mask = pc.greater_equal(table["_time"], pa.scalar(since, pa.timestamp("us", "UTC")))
        if until is not None:
            upper = pc.less_equal(table["_time"], pa.scalar(until, pa.timestamp("us", "UTC")))
            mask = upper if mask is None else pc.and_(mask, upper)
        tables.append(table if mask is None else table.filter(mask))
    if not tables:
        return pa.table({"_request_id": pa.array([], pa.string())})
    return pa.concat_tables(tables, promote_options="permissive")


def all_digests(ctx: Context) -> Iterator[str]:
    """Every batch's digest (the inference log's gc roots)."""
    with ctx.db.read() as session:
        yield from session.scalars(select(InferenceLogBatchRow.digest))


def _batch(row: InferenceLogBatchRow) -> LogBatch:
    return LogBatch(
        row.id, row.model, row.version, row.kind, row.first_time, row.last_time,
        row.rows, row.digest, row.size,
    )  # fmt: skip


def prediction_columns(
    records: Sequence[tuple[str, int, datetime, str, str, dict[str, list[Any]], Any]],
) -> dict[str, list[Any]]:
    """Flatten prediction records (request id, rows, time, version, variant, inputs, outputs)."""
    columns: dict[str, list[Any]] = {
        "_request_id": [], "_row": [], "_time": [], "_version": [], "_variant": [],
    }  # fmt: skip
    seen = 0
    for request_id, rows, when, version, variant, inputs, outputs in records:
        columns["_request_id"].extend([request_id] * rows)
        columns["_row"].extend(range(rows))
        columns["_time"].extend([when] * rows)
        columns["_version"].extend([version] * rows)
        columns["_variant"].extend([variant] * rows)
        for name, values in {**inputs, **_outputs(outputs)}.items():
            column = columns.setdefault(name, [None] * seen)
            column.extend(values[:rows] if len(values) >= rows else [*values, *[None] * rows])
        seen += rows
        for column in columns.values():  # a field missing from this record: nulls
            if len(column) < seen:
                column.extend([None] * (seen - len(column)))
    return columns


def _outputs(outputs: Any) -> dict[str, list[Any]]:
    if isinstance(outputs, dict):
        return {f"_prediction.{k}": _plain_list(v) for k, v in outputs.items()}
    if hasattr(outputs, "columns") and hasattr(outputs, "to_dict"):  # a DataFrame
        return {f"_prediction.{k}": _plain_list(v) for k, v in outputs.to_dict("list").items()}
    return {"_prediction": _plain_list(outputs)}


def _plain_list(values: Any) -> list[Any]:
    if hasattr(values, "tolist"):
        result = values.tolist()
        return result if isinstance(result, list) else [result]
    return list(values)
