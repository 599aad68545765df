"""The column profile for each kind, and a new empty one for an Arrow field."""

from __future__ import annotations

import pyarrow as pa

from shipyard.profiling.categorical import BooleanColumn, CategoricalColumn, OtherColumn
from shipyard.profiling.column import ColumnKind, ColumnProfile, kind_of
from shipyard.profiling.numeric import DatetimeColumn, NumericColumn

__all__ = ["COLUMN_TYPES", "new_column"]

COLUMN_TYPES: dict[ColumnKind, type[ColumnProfile]] = {
    "numeric": NumericColumn,
    "datetime": DatetimeColumn,
    "boolean": BooleanColumn,
    "categorical": CategoricalColumn,
    "other": OtherColumn,
}


def dtype_name(dtype: pa.DataType) -> str:
    """The Arrow type as profiles name it (``int64``, ``string``, ``timestamp[us]``…)."""
    if pa.types.is_dictionary(dtype):
        return dtype_name(dtype.value_type)
    if pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype):
        return "string"
    return str(dtype)


def new_column(field: pa.Field) -> ColumnProfile:
    return COLUMN_TYPES[kind_of(field.type)](field.name, dtype_name(field.type))
