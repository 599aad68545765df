"""A model's signature: what its input and output look like, as plain values.

Inputs are either named, typed *columns* (a table, such as a pandas DataFrame)
or *tensors* (one unnamed array, or several named ones) with a dtype and a
shape in which ``-1`` stands for "any size" (the batch dimension). Stored as
versioned, type-tagged JSON::

    {"format": "shipyard.signature", "version": 1,
     "inputs":  {"type": "columns", "columns": [{"name": "age", "dtype": "int64"}]},
     "outputs": {"type": "tensors", "tensors": [{"name": null, "dtype": "int64",
                                                  "shape": [-1]}]}}

This module is pure: inferring a signature from data and checking data against
one live in ``shipyard.models.signatures``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shipyard.core.errors import InvalidInput

__all__ = [
    "DTYPES",
    "SIGNATURE_FORMAT",
    "SIGNATURE_VERSION",
    "ColumnSchema",
    "ColumnSpec",
    "Schema",
    "Signature",
    "TensorSchema",
    "TensorSpec",
    "schema_from_dict",
]

SIGNATURE_FORMAT = "shipyard.signature"
SIGNATURE_VERSION = 1

DTYPES = frozenset(
    {
        "bool",
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
        "string",
        "bytes",
        "datetime",
        "object",
    }
)
"""The dtype names a signature may use (numpy names, plus string, bytes, datetime, object)."""


def _check_dtype(dtype: object, where: str) -> str:
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise InvalidInput(
            f"unknown dtype {dtype!r} in {where}",
            hint=f"use one of {', '.join(sorted(DTYPES))}",
        )
    return dtype


@dataclass(frozen=True)
class ColumnSpec:
    """One named, typed column of a table."""

    name: str
    dtype: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"a signature column has no valid name: {dict(data)!r}")
        return cls(name=name, dtype=_check_dtype(data.get("dtype"), f"column {name!r}"))


@dataclass(frozen=True)
class TensorSpec:
    """One array: optional name, dtype, and shape with ``-1`` for a free dimension."""

    name: str | None
    dtype: str
    shape: tuple[int, ...]

    @property
    def label(self) -> str:
        return repr(self.name) if self.name is not None else "tensor"

    def shape_text(self) -> str:
        return "(" + ", ".join("any" if d < 0 else str(d) for d in self.shape) + ")"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TensorSpec:
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            raise InvalidInput(f"a signature tensor has an invalid name: {name!r}")
        shape = data.get("shape")
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= -1 for d in shape
        ):
            raise InvalidInput(f"tensor {name!r} has an invalid shape {shape!r} in its signature")
        return cls(
            name=name,
            dtype=_check_dtype(data.get("dtype"), f"tensor {name!r}"),
            shape=tuple(shape),
        )


@dataclass(frozen=True)
class ColumnSchema:
    """A table: named columns, in order."""

    columns: tuple[ColumnSpec, ...]

    kind = "columns"

    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "columns": [c.to_dict() for c in self.columns]}


@dataclass(frozen=True)
class TensorSchema:
    """One unnamed tensor, or several named ones."""

    tensors: tuple[TensorSpec, ...]

    kind = "tensors"

    @property
    def single(self) -> bool:
        return len(self.tensors) == 1 and self.tensors[0].name is None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "tensors": [t.to_dict() for t in self.tensors]}


Schema = ColumnSchema | TensorSchema


def schema_from_dict(data: object, where: str = "schema") -> Schema:
    """Parse a type-tagged schema; raises :class:`InvalidInput` naming what is wrong."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"the {where} of a signature must be an object, not {data!r}")
    kind = data.get("type")
    if kind == ColumnSchema.kind:
        columns = data.get("columns")
        if not isinstance(columns, list) or not columns:
            raise InvalidInput(f"the {where} of a signature lists no columns")
        specs = tuple(ColumnSpec.from_dict(_mapping(c, where)) for c in columns)
        _no_duplicates([c.name for c in specs], where)
        return ColumnSchema(specs)
    if kind == TensorSchema.kind:
        tensors = data.get("tensors")
        if not isinstance(tensors, list) or not tensors:
            raise InvalidInput(f"the {where} of a signature lists no tensors")
        tspecs = tuple(TensorSpec.from_dict(_mapping(t, where)) for t in tensors)
        if len(tspecs) > 1 and any(t.name is None for t in tspecs):
            raise InvalidInput(f"the {where} of a signature has several tensors without names")
        _no_duplicates([t.name or "" for t in tspecs], where)
        return TensorSchema(tspecs)
    raise InvalidInput(
        f"unknown {where} type {kind!r} in a signature", hint="use 'columns' or 'tensors'"
    )


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"the {where} of a signature holds a non-object entry {value!r}")
    return value


def _no_duplicates(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidInput(f"the {where} of a signature names {name!r} twice")
        seen.add(name)


@dataclass(frozen=True)
class Signature:
    """What a model takes (``inputs``) and returns (``outputs``, when known)."""

    inputs: Schema
    outputs: Schema | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SIGNATURE_FORMAT,
            "version": SIGNATURE_VERSION,
            "inputs": self.inputs.to_dict(),
            "outputs": self.outputs.to_dict() if self.outputs is not None else None,
        }

    @classmethod
    def from_dict(cls, data: object) -> Signature:
        """Parse stored JSON; raises :class:`InvalidInput` for a malformed or newer format."""
        if not isinstance(data, Mapping) or data.get("format") != SIGNATURE_FORMAT:
            raise InvalidInput("not a Shipyard signature (the 'format' tag is missing)")
        version = data.get("version")
        if not isinstance(version, int) or version < 1:
            raise InvalidInput(f"a signature has an invalid version {version!r}")
        if version > SIGNATURE_VERSION:
            raise InvalidInput(
                f"the signature has format version {version}; this Shipyard reads up to "
                f"{SIGNATURE_VERSION}",
                hint="upgrade Shipyard",
            )
        outputs = data.get("outputs")
        return cls(
            inputs=schema_from_dict(data.get("inputs"), "inputs"),
            outputs=None if outputs is None else schema_from_dict(outputs, "outputs"),
        )
