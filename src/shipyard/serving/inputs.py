"""Request payloads turned into checked model inputs that can be merged into batches.

Both protocols decode their JSON (or CSV) into plain lists, then call one of
:class:`InputSpec`'s builders, which check the data against the model's
signature (``SignatureMismatch`` naming the field) and return :class:`Inputs`:

* ``matrix``  — a 2-D float array in the signature's column order (tables whose
  columns are all floats: the common case, and the cheapest to batch and feed);
* ``columns`` — one 1-D array per signature column (mixed tables);
* ``tensor`` / ``tensors`` — one unnamed array, or arrays by name.

:func:`merge` concatenates the inputs of several requests along the first axis;
the batcher splits the outputs back by each request's row count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from shipyard.core.errors import InvalidInput, SignatureMismatch
from shipyard.core.signature import ColumnSchema, Signature, TensorSchema
from shipyard.models.signatures.dtypes import family
from shipyard.models.signatures.validate import SignatureValidator

__all__ = ["InputSpec", "Inputs", "merge"]

_NUMPY_DTYPE = {
    "string": object,
    "bytes": object,
    "object": object,
    "datetime": "datetime64[ns]",
}


def numpy_dtype(signature_dtype: str) -> Any:
    return _NUMPY_DTYPE.get(signature_dtype, signature_dtype)


class Inputs:
    """One request's (or one batch's) rows, in the form the model is fed."""

    __slots__ = ("kind", "rows", "value")

    def __init__(self, kind: str, value: Any, rows: int) -> None:
        self.kind = kind
        self.value = value
        self.rows = rows

    def records(self, names: Sequence[str] | None) -> dict[str, Any]:
        """Column (or tensor) name → plain list, for the inference log."""
        if self.kind == "matrix":
            cols = names or [f"x{i}" for i in range(self.value.shape[1])]
            return {n: self.value[:, i].tolist() for i, n in enumerate(cols)}
        if self.kind == "tensor":
            return {"input": [np.asarray(r).tolist() for r in self.value]}
        return {str(k): [_plain(x) for x in v] for k, v in self.value.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def merge(parts: Sequence[Inputs]) -> Inputs:
    """The rows of ``parts`` one after another (all of one kind, from one model)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    rows = sum(p.rows for p in parts)
    if first.kind in ("matrix", "tensor"):
        return Inputs(first.kind, np.concatenate([p.value for p in parts]), rows)
    keys = list(first.value)
    merged = {k: np.concatenate([p.value[k] for p in parts]) for k in keys}
    return Inputs(first.kind, merged, rows)


class InputSpec:
    """Decoders and checks for one model's signature; built once at load."""

    def __init__(self, signature: Signature | None) -> None:
        self.signature = signature
        self.validator = SignatureValidator(signature) if signature is not None else None
        inputs = signature.inputs if signature is not None else None
        self.columns: list[str] | None = None
        self.column_dtypes: dict[str, str] = {}
        self.all_float = False
        self.tensor_names: list[str | None] | None = None
        self._orders: dict[tuple[str, ...], np.ndarray | None] = {}
        if isinstance(inputs, ColumnSchema):
            self.columns = inputs.names()
            self.column_dtypes = {c.name: c.dtype for c in inputs.columns}
            self.all_float = all(family(c.dtype) == "float" for c in inputs.columns)
        elif isinstance(inputs, TensorSchema):
            self.tensor_names = [t.name for t in inputs.tensors]
            self.tensor_dtypes = {t.name: t.dtype for t in inputs.tensors}

    @property
    def tabular(self) -> bool:
        return self.columns is not None

    # tables -------------------------------------------------------------------------

    def from_split(self, columns: Sequence[Any] | None, data: Sequence[Any]) -> Inputs:
        """Rows (``data``) under ``columns``: MLflow's ``dataframe_split``, CSV."""
        if not isinstance(data, list):
            raise InvalidInput("'data' must be a list of rows")
        if columns is None:
            if self.columns is None:
                return self.from_tensor(data)
            columns = self.columns
        if self.all_float and self.columns is not None and data and type(columns) is list:
            fast = self._float_matrix(columns, data)
            if fast is not None:
                return fast
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise InvalidInput("'columns' must be a list of column names")
        mapping = self._transpose(columns, data)
        return self.from_columns(mapping, rows=len(data))

    def _float_matrix(self, columns: list[str], data: Sequence[Any]) -> Inputs | None:
        """The fast path for all-float tables; None means "let the precise path explain"."""
        try:
            matrix = np.array(data)
        except (ValueError, TypeError):
            return None
        if matrix.ndim != 2 or matrix.shape[1] != len(columns) or matrix.dtype.kind not in "fiu":
            return None  # strings, booleans, nulls, ragged rows: checked one by one
        if matrix.dtype != np.float64:
            matrix = matrix.astype(np.float64)
        try:
            key = tuple(columns)
            order = self._orders[key]
        except TypeError:  # unhashable names: the precise path explains
            return None
        except KeyError:
            if not all(isinstance(c, str) for c in columns):
                return None
            if len(self._orders) > 64:
                self._orders.clear()
            order = self._orders[key] = self._order(columns)
        if order is not None:
            matrix = matrix[:, order]
        return Inputs("matrix", matrix, matrix.shape[0])

    def _order(self, columns: list[str]) -> np.ndarray | None:
        assert self.columns is not None
        if columns == self.columns:
            return None
        position = {c: i for i, c in enumerate(columns)}
        missing = [c for c in self.columns if c not in position]
        if missing:
            raise self._missing(missing[0])
        return np.array([position[c] for c in self.columns])

    def _missing(self, name: str) -> SignatureMismatch:
        assert self.columns is not None
        shown = ", ".join(self.columns[:6]) + (", …" if len(self.columns) > 6 else "")
        return SignatureMismatch(
            f"input column {name!r} is missing (the model takes {shown})", field=name
        )

    def _transpose(self, columns: list[str], data: Sequence[Any]) -> dict[str, list[Any]]:
        width = len(columns)
        for i, row in enumerate(data):
            if not isinstance(row, list) or len(row) != width:
                got = f"{len(row)} values" if isinstance(row, list) else type(row).__name__
                raise InvalidInput(
                    f"row {i} of 'data' must be a list of {width} values (one per column); "
                    f"got {got}"
                )
        return {c: [row[j] for row in data] for j, c in enumerate(columns)}

    def from_records(self, records: Sequence[Any]) -> Inputs:
        """A list of ``{column: value}`` objects: ``dataframe_records``, ``instances``."""
        if not records:
            raise InvalidInput("the request holds no rows")
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise InvalidInput(f"record {i} must be an object of column → value")
        names = self.columns or list(records[0])
        mapping = {n: [r.get(n) for r in records] for n in names}
        if self.columns is not None:
            for name in self.columns:
                if all(name not in r for r in records):
                    raise self._missing(name)
        return self.from_columns(mapping, rows=len(records))

    def from_columns(self, mapping: Mapping[str, Any], *, rows: int | None = None) -> Inputs:
        """Column name → list of values; checked, converted to the signature's dtypes."""
        if self.columns is None:
            if self.tensor_names is not None:
                return self.from_tensors(mapping)
            arrays = {str(k): np.asarray(v) for k, v in mapping.items()}
            return Inputs("columns", arrays, _rows(arrays, rows))
        prepared = dict(mapping)
        for name in self.columns:
            if name not in prepared:
                raise self._missing(name)
            if self.column_dtypes[name] == "datetime":
                prepared[name] = _datetimes(name, prepared[name])
        if self.validator is not None:
            self.validator.validate(prepared)
        arrays = {}
        for name in self.columns:
            arrays[name] = _column_array(name, prepared[name], self.column_dtypes[name])
        count = _rows(arrays, rows)
        if self.all_float:
            matrix = np.column_stack([arrays[n] for n in self.columns]).reshape(count, -1)
            return Inputs("matrix", matrix, count)
        return Inputs("columns", arrays, count)

    # tensors ------------------------------------------------------------------------

    def from_tensor(self, value: Any) -> Inputs:
        """One array (nested lists or numpy) for a model with one input."""
        if self.columns is not None:
            array = _array("input", value)
            if array.ndim != 2 or array.shape[1] != len(self.columns):
                raise SignatureMismatch(
                    f"the model takes rows of {len(self.columns)} columns; got an array of "
                    f"shape {tuple(array.shape)}",
                    hint="send one row per request item, values in the signature's column order",
                )
            return self.from_columns(
                {c: array[:, i] for i, c in enumerate(self.columns)}, rows=array.shape[0]
            )
        if self.tensor_names is not None and (
            len(self.tensor_names) != 1 or self.tensor_names[0] is not None
        ):
            raise SignatureMismatch(
                "the model takes named inputs: " + ", ".join(str(n) for n in self.tensor_names),
                hint="send an object of input name → array",
            )
        array = _array("input", value)
        if self.validator is not None:
            self.validator.validate(array)
            array = array.astype(numpy_dtype(self.tensor_dtypes[None]), copy=False)
        if array.ndim == 0:
            raise SignatureMismatch("the input must be an array of rows, not a single value")
        return Inputs("tensor", array, array.shape[0])

    def from_tensors(self, mapping: Mapping[str, Any]) -> Inputs:
        """Arrays by input name (``inputs`` as an object, OIP named inputs)."""
        if self.columns is not None:
            return self.from_columns(mapping)
        names = self.tensor_names
        if names is not None and len(names) == 1 and names[0] is None:
            if len(mapping) != 1:
                raise SignatureMismatch(
                    f"the model takes one input; got {len(mapping)} ({', '.join(mapping)})"
                )
            return self.from_tensor(next(iter(mapping.values())))
        arrays = {str(k): _array(str(k), v) for k, v in mapping.items()}
        if self.validator is not None:
            self.validator.validate(arrays)
            arrays = {
                k: v.astype(numpy_dtype(self.tensor_dtypes[k]), copy=False)
                for k, v in arrays.items()
                if k in self.tensor_dtypes
            }
        return Inputs("tensors", arrays, _rows(arrays, None))


def _array(name: str, value: Any) -> np.ndarray:
    """Nested lists as an array; a ragged one is a malformed request (400), like a short row.
    Nulls or mixed values in a rectangular one are the signature's to judge (422)."""
    if isinstance(value, np.ndarray):
        return value
    try:
        return np.asarray(value)
    except ValueError as exc:
        raise InvalidInput(f"{name!r} is not a rectangular array: {exc}") from None


def _datetimes(name: str, values: Any) -> Any:
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values
    try:
        return np.array(values, dtype="datetime64[ns]")
    except (ValueError, TypeError):
        raise SignatureMismatch(
            f"input column {name!r} holds values that are not ISO dates or times",
            field=name,
        ) from None


def _column_array(name: str, values: Any, dtype: str) -> np.ndarray:
    target = numpy_dtype(dtype)
    try:
        array = np.asarray(values, dtype=target)
    except (ValueError, TypeError, OverflowError) as exc:
        raise SignatureMismatch(
            f"input column {name!r} cannot be read as {dtype}: {exc}", field=name
        ) from None
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise SignatureMismatch(
            f"input column {name!r} must hold one value per row; got shape {array.shape}",
            field=name,
        )
    return array


def _rows(arrays: Mapping[str, np.ndarray], given: int | None) -> int:
    counts = {len(a) if a.ndim else 1 for a in arrays.values()}
    if len(counts) > 1:
        raise SignatureMismatch(
            "the inputs have different numbers of rows: "
            + ", ".join(f"{k}: {len(v)}" for k, v in arrays.items())
        )
    count = counts.pop() if counts else 0
    if given is not None and count != given and arrays:
        raise SignatureMismatch(f"expected {given} rows, got {count}")
    if count == 0:
        raise InvalidInput("the request holds no rows")
    return count
