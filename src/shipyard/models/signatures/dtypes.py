"""Naming dtypes of numpy, pandas and torch in the signature's vocabulary, cheaply.

Nothing here imports numpy, pandas or torch: dtypes are recognised by their
``kind`` and name, so the validator's hot path pays for no import.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ACCEPTS", "dtype_name", "family", "python_values_family"]

_NUMPY_NUMERIC = frozenset(
    {
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
    }
)

_FAMILY = {
    "bool": "bool",
    "string": "string",
    "bytes": "bytes",
    "datetime": "datetime",
    "object": "object",
    "null": "null",
}

ACCEPTS: dict[str, frozenset[str]] = {
    "float": frozenset({"float", "int", "null"}),
    "int": frozenset({"int", "null"}),
    "bool": frozenset({"bool", "null"}),
    "string": frozenset({"string", "object", "null"}),
    "bytes": frozenset({"bytes", "object", "null"}),
    "datetime": frozenset({"datetime", "null"}),
    "object": frozenset({"float", "int", "bool", "string", "bytes", "datetime", "object", "null"}),
}
"""For each expected family, the families of actual data it accepts (safe casts only;
"null" is a list holding only nulls)."""


def family(name: str) -> str:
    """The family of a signature dtype: float, int, bool, string, bytes, datetime, object."""
    if name.startswith("float"):
        return "float"
    if name.startswith(("int", "uint")):
        return "int"
    return _FAMILY.get(name, "object")


_NAMES: dict[object, str] = {}


def dtype_name(dtype: object) -> str:
    """The signature name of a numpy, pandas or torch dtype (``object`` if unknown).

    Cached per dtype: the validator calls it for every field of every request.
    """
    try:
        return _NAMES[dtype]
    except (KeyError, TypeError):  # not seen yet, or unhashable
        pass
    name = _dtype_name(dtype)
    try:
        if len(_NAMES) < 1024:
            _NAMES[dtype] = name
    except TypeError:
        pass
    return name


def _dtype_name(dtype: object) -> str:
    text = str(dtype)
    if text.startswith("torch."):
        text = text[len("torch.") :]
        return text if text in _NUMPY_NUMERIC or text == "bool" else "object"
    if text in ("str", "string") or text.startswith(("string[", "str[")):
        return "string"
    if text == "category":
        categories = getattr(dtype, "categories", None)
        return _dtype_name(categories.dtype) if categories is not None else "object"
    numpy_dtype = getattr(dtype, "numpy_dtype", None)  # pandas' nullable Int64, Float64…
    if numpy_dtype is not None and numpy_dtype is not dtype:
        return _dtype_name(numpy_dtype)
    if text == "boolean":
        return "bool"
    kind = getattr(dtype, "kind", "")
    if kind == "M" or text.startswith("datetime64"):
        return "datetime"
    if kind == "U":
        return "string"
    if kind == "S":
        return "bytes"
    if kind == "b":
        return "bool"
    name = getattr(dtype, "name", text)
    return name if name in _NUMPY_NUMERIC else "object"


def python_values_family(values: Iterable[object]) -> str:
    """The family of plain Python values (JSON-decoded lists); nulls are ignored."""
    families: set[str] = set()
    for value in values:
        kind = type(value)
        if kind is float:
            families.add("float")
        elif kind is bool:
            families.add("bool")
        elif kind is int:
            families.add("int")
        elif kind is str:
            families.add("string")
        elif kind is bytes:
            families.add("bytes")
        elif value is not None:
            families.add("object")
    if not families:
        return "null"
    if len(families) == 1:
        return families.pop()
    if families == {"float", "int"}:
        return "float"
    return "object"
