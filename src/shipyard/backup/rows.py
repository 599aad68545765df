"""Rows of any metadata table as JSON and back, decided by each column's type.

A backup must restore exactly what it read, on either database: timestamps keep
their instant (UTC, ISO 8601), bytes travel as base64, JSON columns as JSON, and
floats keep NaN and infinities. A value that does not fit its column is an error
naming the table and column, never a guess.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, LargeBinary, String, Table, Text
from sqlalchemy.types import TypeEngine

from shipyard.core.errors import InvalidInput
from shipyard.store.base import UTCDateTime

__all__ = ["RowCodec"]

Encode = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _encode_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _encode_bytes(value: bytes) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _decode_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("a timestamp must be an ISO 8601 string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a timestamp has no time zone")
    return parsed.astimezone(UTC)


def _decode_bytes(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("bytes must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise ValueError("bytes are not valid base64") from error


def _decode_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected an integer")
    return value


def _decode_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return float(value)


def _decode_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _decode_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _codecs(kind: TypeEngine[Any]) -> tuple[Encode, Encode]:
    """(encode, decode) for a column type; the order matters (Text is a String)."""
    if isinstance(kind, UTCDateTime):
        return _encode_time, _decode_time
    if isinstance(kind, LargeBinary):
        return _encode_bytes, _decode_bytes
    if isinstance(kind, JSON):
        return _same, _same
    if isinstance(kind, Boolean):
        return _same, _decode_bool
    if isinstance(kind, Float):
        return _same, _decode_float
    if isinstance(kind, Integer):  # BigInteger too
        return _same, _decode_int
    if isinstance(kind, String | Text):
        return _same, _decode_text
    raise TypeError(f"no backup codec for column type {kind!r}")  # a new type needs one here


class RowCodec:
    """Encode rows of one table as JSON lists in column order; decode them back."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = [column.name for column in table.columns]
        pairs = [_codecs(column.type) for column in table.columns]
        self._encoders = [pair[0] for pair in pairs]
        self._decoders = [pair[1] for pair in pairs]

    def encode(self, row: Sequence[Any]) -> list[Any]:
        return [
            None if value is None else encode(value)
            for encode, value in zip(self._encoders, row, strict=True)
        ]

    def check_columns(self, columns: Sequence[str]) -> None:
        """Refuse a part written for another shape of this table."""
        if list(columns) != self.columns:
            raise InvalidInput(
                f"the backup's table {self.table.name} has columns {list(columns)}, "
                f"this schema has {self.columns}"
            )

    def decode(self, values: Any) -> dict[str, Any]:
        if not isinstance(values, list) or len(values) != len(self.columns):
            raise InvalidInput(f"a row of {self.table.name} in the backup is malformed")
        row: dict[str, Any] = {}
        for name, decode, value in zip(self.columns, self._decoders, values, strict=True):
            try:
                row[name] = None if value is None else decode(value)
            except ValueError as error:
                raise InvalidInput(
                    f"a row of {self.table.name} in the backup has a bad {name}: {error}"
                ) from None
        return row
