"""Inferring a :class:`Signature` from an input example and the model's output on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.core.signature import (
    ColumnSchema,
    ColumnSpec,
    Schema,
    Signature,
    TensorSchema,
    TensorSpec,
)
from shipyard.models.signatures.dtypes import dtype_name

__all__ = ["infer_schema", "infer_signature", "is_dataframe", "type_name"]


def type_name(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def is_dataframe(value: object) -> bool:
    """True for a pandas DataFrame, recognised without importing pandas."""
    kind = type(value)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pandas")


def _is_series(value: object) -> bool:
    kind = type(value)
    return kind.__name__ == "Series" and kind.__module__.startswith("pandas")


def infer_signature(input_example: object, output: object | None = None) -> Signature:
    """The signature of a model that takes ``input_example`` and answered ``output``.

    DataFrames give named, typed columns; arrays give a tensor whose first
    (batch) dimension is free; a dict of arrays gives named tensors. Raises
    :class:`InvalidInput` for data that has no schema (a scalar, an empty dict).
    """
    inputs = infer_schema(input_example, "input example")
    outputs = None if output is None else infer_schema(output, "model output")
    return Signature(inputs=inputs, outputs=outputs)


def infer_schema(data: object, what: str = "data") -> Schema:
    if is_dataframe(data):
        return _frame_schema(data)
    if isinstance(data, Mapping):
        if not data:
            raise InvalidInput(f"the {what} is an empty dict")
        specs = []
        for name, value in data.items():
            if not isinstance(name, str):
                raise InvalidInput(f"the {what} has a non-string key {name!r}")
            specs.append(_tensor_spec(name, value, what))
        return TensorSchema(tuple(specs))
    return TensorSchema((_tensor_spec(None, data, what),))


def _frame_schema(frame: Any) -> ColumnSchema:
    columns = []
    for name in frame.columns:
        series = frame[name]
        dtype = dtype_name(series.dtype)
        if dtype == "object":
            dtype = _object_column_dtype(series)
        columns.append(ColumnSpec(name=str(name), dtype=dtype))
    if not columns:
        raise InvalidInput("the input example is a DataFrame without columns")
    return ColumnSchema(tuple(columns))


def _object_column_dtype(series: Any) -> str:
    values = [v for v in series.tolist() if v is not None and v == v]  # drop None and NaN
    if values and all(isinstance(v, str) for v in values):
        return "string"
    if values and all(isinstance(v, bytes) for v in values):
        return "bytes"
    return "object"


def _tensor_spec(name: str | None, value: object, what: str) -> TensorSpec:
    label = f"{what} {name!r}" if name else what
    if _is_series(value):
        value = value.to_numpy()  # type: ignore[attr-defined]
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is None or dtype is None:
        if isinstance(value, list | tuple):
            import numpy as np

            array = np.asarray(value)
            shape, dtype = array.shape, array.dtype
        else:
            raise InvalidInput(
                f"the {label} is a {type_name(value)}; Shipyard infers signatures from "
                "pandas DataFrames, numpy arrays, tensors, lists or dicts of arrays"
            )
    dims = tuple(int(d) for d in shape)
    if not dims:
        raise InvalidInput(f"the {label} is a scalar; give a batch (at least one dimension)")
    name_of_dtype = dtype_name(dtype)
    if name_of_dtype == "object" and hasattr(value, "ravel"):
        sample = value.ravel()[:100].tolist()
        if sample and all(isinstance(v, str) for v in sample):
            name_of_dtype = "string"
    return TensorSpec(name=name, dtype=name_of_dtype, shape=(-1, *dims[1:]))
