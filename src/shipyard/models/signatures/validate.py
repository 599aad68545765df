"""Checking an input against a signature, on every request: precomputed and cheap.

A :class:`SignatureValidator` is built once per model; ``validate(data)``
accepts a pandas DataFrame, a mapping of column or tensor name to values
(numpy arrays or plain lists, as decoded from JSON), a numpy array or a torch
tensor. It raises :class:`SignatureMismatch` naming the field (missing column,
wrong type, wrong shape) and returns nothing otherwise. It never imports
pandas, and numpy only for plain lists given as tensors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shipyard.core.errors import SignatureMismatch
from shipyard.core.signature import ColumnSchema, Signature, TensorSpec
from shipyard.models.signatures.dtypes import ACCEPTS, dtype_name, family, python_values_family
from shipyard.models.signatures.infer import is_dataframe, type_name

__all__ = ["SignatureValidator"]

_BATCH_HINT = "send a batch: even one row is a list of rows"


class _Column:
    __slots__ = ("accepts", "dtype", "name")

    def __init__(self, name: str, dtype: str) -> None:
        self.name = name
        self.dtype = dtype
        self.accepts = ACCEPTS[family(dtype)]


class _Tensor:
    __slots__ = ("accepts", "dtype", "label", "name", "ndim", "shape", "shape_text")

    def __init__(self, spec: TensorSpec) -> None:
        self.name = spec.name
        self.label = f"input tensor {spec.name!r}" if spec.name else "input"
        self.dtype = spec.dtype
        self.accepts = ACCEPTS[family(spec.dtype)]
        self.shape = tuple((i, d) for i, d in enumerate(spec.shape) if d >= 0)
        self.ndim = len(spec.shape)
        self.shape_text = spec.shape_text()


class SignatureValidator:
    """Checks inputs against one signature's inputs; build once, call per request."""

    __slots__ = ("_columns", "_names", "_tensors", "signature")

    def __init__(self, signature: Signature) -> None:
        self.signature = signature
        inputs = signature.inputs
        if isinstance(inputs, ColumnSchema):
            self._columns: tuple[_Column, ...] | None = tuple(
                _Column(c.name, c.dtype) for c in inputs.columns
            )
            self._names = _names_text([c.name for c in inputs.columns])
            self._tensors: tuple[_Tensor, ...] = ()
        else:
            self._columns = None
            self._tensors = tuple(_Tensor(t) for t in inputs.tensors)
            self._names = _names_text([t.name or "" for t in inputs.tensors])

    def validate(self, data: object) -> None:
        """Raise :class:`SignatureMismatch` naming the first field that does not fit."""
        if self._columns is not None:
            self._validate_columns(self._columns, data)
        else:
            self._validate_tensors(data)

    # columns ------------------------------------------------------------------

    def _validate_columns(self, columns: tuple[_Column, ...], data: object) -> None:
        if is_dataframe(data):
            frame: Any = data
            dtypes = dict(zip(frame.columns.tolist(), frame.dtypes.tolist(), strict=True))
            for column in columns:
                dtype = dtypes.get(column.name)
                if dtype is None:
                    raise self._missing_column(column.name)
                actual = dtype_name(dtype)
                if actual == "object" and "string" in column.accepts:
                    continue  # strings held in an object column
                self._check_family(column, actual)
            return
        if isinstance(data, Mapping):
            for column in columns:
                if column.name not in data:
                    raise self._missing_column(column.name)
                self._check_values(column, data[column.name])
            return
        if hasattr(data, "shape") and hasattr(data, "dtype"):
            self._validate_matrix(columns, data)
            return
        raise SignatureMismatch(
            f"the model takes a table with columns {self._names}; got a {type_name(data)}",
            hint="send a DataFrame or a mapping of column name to values",
        )

    def _validate_matrix(self, columns: tuple[_Column, ...], data: Any) -> None:
        shape = tuple(data.shape)
        if len(shape) != 2 or shape[1] != len(columns):
            raise SignatureMismatch(
                f"the model takes {len(columns)} columns ({self._names}); got an array of "
                f"shape {shape}",
                hint=_BATCH_HINT if len(shape) == 1 else None,
            )
        actual = dtype_name(data.dtype)
        for column in columns:
            self._check_family(column, actual)

    def _check_values(self, column: _Column, values: object) -> None:
        dtype = getattr(values, "dtype", None)
        if dtype is not None:
            actual = dtype_name(dtype)
            if actual == "object" and "string" in column.accepts:
                return
        elif isinstance(values, list | tuple):
            actual = python_values_family(values)
        else:
            raise SignatureMismatch(
                f"input column {column.name!r} must hold a list of values, not a "
                f"{type(values).__name__}",
                field=column.name,
                hint=_BATCH_HINT,
            )
        self._check_family(column, actual)

    @staticmethod
    def _check_family(column: _Column, actual: str) -> None:
        if family(actual) not in column.accepts:
            raise SignatureMismatch(
                f"input column {column.name!r} has type {actual}; the model expects {column.dtype}",
                field=column.name,
            )

    def _missing_column(self, name: str) -> SignatureMismatch:
        return SignatureMismatch(
            f"input column {name!r} is missing (the model takes {self._names})", field=name
        )

    # tensors ------------------------------------------------------------------

    def _validate_tensors(self, data: object) -> None:
        tensors = self._tensors
        if len(tensors) == 1 and tensors[0].name is None:
            tensor = tensors[0]
            if isinstance(data, Mapping):
                if len(data) != 1:
                    raise SignatureMismatch(
                        f"the model takes one input tensor; got {len(data)} named inputs "
                        f"({', '.join(map(str, data))})"
                    )
                data = next(iter(data.values()))
            self._check_tensor(tensor, data)
            return
        if not isinstance(data, Mapping):
            raise SignatureMismatch(
                f"the model takes named input tensors ({self._names}); got a {type_name(data)}",
                hint="send a mapping of tensor name to array",
            )
        for tensor in tensors:
            if tensor.name not in data:
                raise SignatureMismatch(
                    f"input tensor {tensor.name!r} is missing (the model takes {self._names})",
                    field=tensor.name,
                )
            self._check_tensor(tensor, data[tensor.name])

    @staticmethod
    def _check_tensor(tensor: _Tensor, value: object) -> None:
        if is_dataframe(value):
            value = value.to_numpy()  # type: ignore[attr-defined]
        shape = getattr(value, "shape", None)
        dtype = getattr(value, "dtype", None)
        if shape is None or dtype is None:
            if not isinstance(value, list | tuple):
                raise SignatureMismatch(
                    f"{tensor.label} must be an array, not a {type(value).__name__}",
                    field=tensor.name,
                )
            shape, dtype = _list_shape_and_dtype(tensor, value)
        shape = tuple(shape)
        if len(shape) != tensor.ndim or any(shape[i] != d for i, d in tensor.shape):
            raise SignatureMismatch(
                f"{tensor.label} has shape {_shape_text(shape)}; the model expects "
                f"{tensor.shape_text}",
                field=tensor.name,
                hint=_BATCH_HINT if len(shape) == tensor.ndim - 1 else None,
            )
        actual = dtype if isinstance(dtype, str) else dtype_name(dtype)
        if actual == "object" and "string" in tensor.accepts:
            return
        if family(actual) not in tensor.accepts:
            raise SignatureMismatch(
                f"{tensor.label} has type {actual}; the model expects {tensor.dtype}",
                field=tensor.name,
            )


def _list_shape_and_dtype(tensor: _Tensor, value: Sequence[object]) -> tuple[Any, Any]:
    import numpy as np

    try:
        array = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise SignatureMismatch(
            f"{tensor.label} is not a rectangular array: {exc}", field=tensor.name
        ) from None
    if array.dtype.kind == "O":
        raise SignatureMismatch(
            f"{tensor.label} is not a rectangular array of numbers or strings",
            field=tensor.name,
        )
    return array.shape, array.dtype


def _names_text(names: list[str], limit: int = 6) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return f"{len(names)} fields: {', '.join(names[:limit])}, …"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"
