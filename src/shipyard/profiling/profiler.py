"""Build profiles: from a file in one streaming pass, or from an in-memory table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from shipyard.core.errors import InvalidInput
from shipyard.profiling.columns import new_column
from shipyard.profiling.profile import Profile
from shipyard.profiling.reader import BATCH_ROWS, Progress, scan
from shipyard.profiling.sketches.sample import DEFAULT_SAMPLE_ROWS, RowSample

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ProfileBuilder", "as_arrow_table", "profile_file", "profile_table"]


class ProfileBuilder:
    """Accumulates record batches of one schema into a :class:`Profile`."""

    def __init__(
        self,
        schema: pa.Schema,
        *,
        sample_rows: int = DEFAULT_SAMPLE_ROWS,
        source: str | None = None,
    ) -> None:
        if len(set(schema.names)) != len(schema.names):
            duplicated = sorted({n for n in schema.names if schema.names.count(n) > 1})
            raise InvalidInput(f"the table has duplicated column names: {', '.join(duplicated)}")
        self.columns = [new_column(field) for field in schema]
        self.sample = RowSample(sample_rows)
        self.rows = 0
        self.source = source

    def update(self, batch: pa.RecordBatch) -> None:
        for column, array in zip(self.columns, batch.columns, strict=True):
            column.update(array)
        self.sample.update(batch)
        self.rows += batch.num_rows

    def profile(self) -> Profile:
        return Profile(self.columns, rows=self.rows, sample=self.sample, source=self.source)


def profile_file(
    path: str | Path,
    progress: Progress | None = None,
    *,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
) -> Profile:
    """Profile a CSV or Parquet file (or a folder of Parquet files) in one streaming pass.

    Memory stays bounded whatever the file's size. ``progress(rows, fraction)``
    is called after each batch. Raises :class:`NotFound` if the path does not
    exist and :class:`InvalidInput` if it is not a readable table.
    """
    path = Path(path)
    builder = scan(
        path,
        lambda schema: ProfileBuilder(schema, sample_rows=sample_rows, source=path.name),
        progress,
    )
    return builder.profile()


def profile_table(
    data: pa.Table | pa.RecordBatch | pd.DataFrame,
    *,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    source: str | None = None,
) -> Profile:
    """Profile an in-memory pyarrow Table/RecordBatch or pandas DataFrame."""
    table = as_arrow_table(data)
    builder = ProfileBuilder(table.schema, sample_rows=sample_rows, source=source)
    for batch in table.to_batches(max_chunksize=BATCH_ROWS):
        builder.update(batch)
    return builder.profile()


def as_arrow_table(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return _from_pandas(data)
    raise InvalidInput(
        f"cannot profile a {type(data).__name__}",
        hint="pass a pyarrow Table or a pandas DataFrame",
    )


def _from_pandas(frame: pd.DataFrame) -> pa.Table:
    frame = frame.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    # mixed-type object columns (numbers and strings): keep them as text
    for name in frame.columns:
        try:
            pa.array(frame[name], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            frame[name] = frame[name].map(lambda v: None if v is None or v != v else str(v))
    return pa.Table.from_pandas(frame, preserve_index=False)
