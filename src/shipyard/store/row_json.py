"""Rows as JSON lines and back, by column type, so every value round-trips.

A row is one JSON array in the table's column order (the file's header lists
the columns). Project archives (``projects_io``) and backups (``backup``) both
write rows this way. Timestamps are ISO 8601 with their offset, bytes are
base64, JSON columns are their value, floats keep NaN and infinities
(Python's JSON spells them ``NaN``/``Infinity``). Reading checks each value's
type, nullability and length against the target's column, so a hostile line
is refused with one line instead of reaching the database.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, Integer, LargeBinary, String, Table

from shipyard.core.errors import InvalidInput
from shipyard.store.base import UTCDateTime

__all__ = ["RowCodec"]

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]
_INT_RANGE = 1 << 63


class RowCodec:
    """Encodes and decodes the rows of one table (the columns in ``columns`` order).

    A subclass names where rows come from: ``error`` is raised for a bad row, and
    ``source`` names the file in its message.
    """

    error: type[InvalidInput] = InvalidInput
    source = "the file"

    def __init__(
        self, table: Table, columns: Sequence[str] | None = None, *, named: bool = False
    ) -> None:
        self.table = table
        self.named = named
        """Lines are JSON objects keyed by column (self-describing) instead of arrays."""
        self.columns = list(columns) if columns is not None else [c.name for c in table.columns]
        unknown = [c for c in self.columns if c not in table.c]
        if unknown:
            raise self.error(
                f"table {table.name} has no column {unknown[0]!r} here "
                "(written by another version of Shipyard?)"
            )
        picked = [table.c[name] for name in self.columns]
        self._encoders = [_encoder(c) for c in picked]
        self._decoders = [_decoder(c, self.error, self.source) for c in picked]

    def encode(self, row: Sequence[Any]) -> bytes:
        values = [None if v is None else enc(v) for enc, v in zip(self._encoders, row, strict=True)]
        doc: Any = dict(zip(self.columns, values, strict=True)) if self.named else values
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"

    def decode(self, line: bytes) -> dict[str, Any]:
        try:
            values = json.loads(line)
        except (ValueError, RecursionError):
            raise self.error(f"a row of {self.table.name} in {self.source} is not JSON") from None
        if self.named and isinstance(values, dict) and set(values) == set(self.columns):
            values = [values[name] for name in self.columns]
        if not isinstance(values, list) or len(values) != len(self.columns):
            raise self.error(f"a row of {self.table.name} in {self.source} has the wrong shape")
        return {
            name: dec(value)
            for name, dec, value in zip(self.columns, self._decoders, values, strict=True)
        }


def _encoder(column: Column[Any]) -> Encoder:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return lambda v: v.isoformat()
    if isinstance(kind, LargeBinary):
        return lambda v: base64.b64encode(v).decode("ascii")
    return lambda v: v


def _decoder(column: Column[Any], error: type[InvalidInput], source: str) -> Decoder:
    check = _check(column)
    where = f"{column.table.name}.{column.name}"
    nullable = bool(column.nullable)

    def decode(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise error(f"a row of {source} has no value for {where}")
        try:
            return check(value)
        except (TypeError, ValueError, binascii.Error, OverflowError):
            raise error(f"a row of {source} has a bad value for {where}") from None

    return decode


def _check(column: Column[Any]) -> Decoder:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _time
    if isinstance(kind, LargeBinary):
        return _bytes
    if isinstance(kind, JSON):
        return lambda v: v
    if isinstance(kind, Boolean):
        return lambda v: _typed(v, bool)
    if isinstance(kind, Integer):
        return _int
    if isinstance(kind, Float):
        return _float
    if isinstance(kind, String):
        length = kind.length
        return lambda v: _text(v, length)
    raise TypeError(f"no JSON encoding for {column.table.name}.{column.name}")  # a new type


def _typed(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise TypeError(kind.__name__)
    return value


def _int(value: Any) -> int:
    if type(value) is not int or not -_INT_RANGE <= value < _INT_RANGE:
        raise TypeError("int")
    return value


def _float(value: Any) -> float:
    if type(value) not in (int, float):
        raise TypeError("float")
    number = float(value)
    if math.isnan(number):
        return math.nan
    return number


def _text(value: Any, length: int | None) -> str:
    if type(value) is not str or (length is not None and len(value) > length):
        raise TypeError("str")
    return value


def _time(value: Any) -> datetime:
    parsed = datetime.fromisoformat(_typed(value, str))
    if parsed.tzinfo is None:
        raise ValueError("naive time")
    return parsed


def _bytes(value: Any) -> bytes:
    return base64.b64decode(_typed(value, str), validate=True)
