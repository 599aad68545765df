"""Parquet request bodies (``application/vnd.apache.parquet``), as ``mlflow models serve``
takes them (``pandas.DataFrame.to_parquet()``), read within the body limit.

A small Parquet file can describe far more data than it holds (compressed
pages, one long string repeated through a dictionary), so the file's footer is
read first and a file whose columns decode to more than the body limit is
refused with 413 before any page is read. String columns stay
dictionary-encoded while they are read and become arrays of references to the
dictionary's values, so a repeated value costs a pointer per row, not a copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from starlette.exceptions import HTTPException

from shipyard.core.errors import InvalidInput
from shipyard.serving.inputs import Inputs, InputSpec

__all__ = ["PARQUET", "decode_parquet"]

PARQUET = "application/vnd.apache.parquet"


def decode_parquet(body: bytes, spec: InputSpec, max_bytes: int) -> Inputs:
    """A Parquet file's columns → checked inputs; 400 for a file pyarrow cannot read,
    413 for one that would decode past ``max_bytes``."""
    # pyarrow is imported on the first Parquet request: most servers never see one
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(pa.BufferReader(body))
        meta = file.metadata
        schema = file.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InvalidInput(f"the body is not a readable Parquet file: {exc}") from None
    groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
    decoded = sum(group.total_byte_size for group in groups)
    # leaf values, so that a list column of one row counts every element it holds
    values = sum(group.column(j).num_values for group in groups for j in range(group.num_columns))
    cells = max(values, meta.num_rows * meta.num_columns)
    if decoded > max_bytes or cells * 8 > max_bytes:  # a value costs at least a reference
        raise HTTPException(
            413, f"the Parquet body decodes to more than the limit of {max_bytes:,} bytes"
        )
    if meta.num_rows == 0:
        raise InvalidInput("the request holds no rows")
    names = [f.name for f in schema]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InvalidInput(f"the Parquet body has column {twice!r} twice")
    strings = [f.name for f in schema if _is_text(pa, f.type)]
    try:
        file = pq.ParquetFile(pa.BufferReader(body), read_dictionary=strings)
        table = file.read(use_pandas_metadata=False)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read the Parquet body: {exc}") from None
    columns = {
        name: _numpy(pa, table.column(name))
        for name in table.column_names
        if not name.startswith("__index_level_")  # pandas' stored index
    }
    return spec.from_columns(columns, rows=table.num_rows)


def _is_text(pa: Any, kind: Any) -> bool:
    types = pa.types
    return bool(
        types.is_string(kind)
        or types.is_large_string(kind)
        or types.is_binary(kind)
        or types.is_large_binary(kind)
    )


def _numpy(pa: Any, column: Any) -> np.ndarray:
    """One column as a 1-D array; dictionary chunks as references to their values."""
    parts = []
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            dictionary = chunk.dictionary.to_pylist()
            values = np.empty(len(dictionary) + 1, dtype=object)  # the last one: null
            values[:-1] = dictionary
            indices = chunk.indices.fill_null(len(values) - 1)
            parts.append(values[indices.to_numpy(zero_copy_only=False)])
        else:
            parts.append(chunk.to_numpy(zero_copy_only=False))
    if not parts:
        return np.empty(0)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
