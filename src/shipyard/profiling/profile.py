"""A table's profile: schema, row count, per-column summaries and a row sample.

Stored as a versioned, type-tagged JSON document::

    {"type": "shipyard.profile", "version": 1, "rows": 1000000,
     "columns": [{"name": …, "kind": …, "state": {…sketches…}, "summary": {…}}],
     "sample": {…up to 1,000 rows…}, "source": "train.parquet"}

``state`` holds the mergeable sketches and is what :meth:`Profile.from_dict`
reads; ``summary`` repeats derived figures (mean, quantiles, histogram, top
values) for people and other tools, and is ignored on reading. The size is
bounded whatever the row count: roughly 15 KiB per numeric column and 10 KiB
per column of sample rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.profiling.column import ColumnProfile
from shipyard.profiling.encoding import decode_array, encode_array, expect
from shipyard.profiling.numeric import NumericColumn
from shipyard.profiling.sketches.sample import DEFAULT_SAMPLE_ROWS, RowSample

__all__ = ["PROFILE_TYPE", "PROFILE_VERSION", "Profile", "is_profile_document"]

PROFILE_TYPE = "shipyard.profile"
PROFILE_VERSION = 1


def is_profile_document(data: Any) -> bool:
    return isinstance(data, dict) and data.get("type") == PROFILE_TYPE


class Profile:
    """Summaries of every column of a table, mergeable and JSON-serialisable."""

    def __init__(
        self,
        columns: Iterable[ColumnProfile],
        *,
        rows: int = 0,
        sample: RowSample | None = None,
        source: str | None = None,
    ) -> None:
        self.columns: dict[str, ColumnProfile] = {c.name: c for c in columns}
        self.rows = rows
        self.sample = sample if sample is not None else RowSample(DEFAULT_SAMPLE_ROWS)
        self.source = source

    def __repr__(self) -> str:
        return f"<Profile {self.rows:,} rows × {len(self.columns)} columns>"

    def __getitem__(self, name: str) -> ColumnProfile:
        try:
            return self.columns[name]
        except KeyError:
            raise NotFound(f"the profile has no column {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    @property
    def schema(self) -> list[tuple[str, str]]:
        """``(name, dtype)`` of every column, in table order."""
        return [(c.name, c.dtype) for c in self.columns.values()]

    def sample_rows(self) -> pa.Table | None:
        """The uniform sample of whole rows (None when sampling was off or no rows).

        Columns come in the form a stored profile keeps them, whether this
        profile was just computed or read back: float64 for numbers and
        datetimes (seconds since the epoch), string, bool; other kinds are left out.
        """
        return _canonical(self.sample.rows(), self.columns)

    def _canonical_sample(self) -> RowSample:
        keys, _ = self.sample.state()
        table = self.sample_rows()
        return RowSample.restore(self.sample.size, self.sample.salt, self.sample.seen, keys, table)

    def merged(self, other: Profile) -> Profile:
        """The profile of both tables stacked; columns present in one only are kept."""
        names = list(self.columns) + [n for n in other.columns if n not in self.columns]
        merged: list[ColumnProfile] = []
        for name in names:
            mine, theirs = self.columns.get(name), other.columns.get(name)
            if mine is not None and theirs is not None:
                merged.append(mine.merged(theirs))
            elif mine is not None:
                merged.append(_padded(mine, other.rows))
            elif theirs is not None:
                merged.append(_padded(theirs, self.rows))
        return Profile(
            merged,
            rows=self.rows + other.rows,
            sample=self._canonical_sample().merged(other._canonical_sample()),
            source=self.source if self.source == other.source else None,
        )

    # -- storage -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": PROFILE_TYPE,
            "version": PROFILE_VERSION,
            "rows": self.rows,
            "source": self.source,
            "columns": [c.to_dict() for c in self.columns.values()],
            "sample": _sample_to_dict(self.sample, self.columns),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Profile:
        """Read a profile document; :class:`InvalidInput` naming the bad field if malformed."""
        if not is_profile_document(data):
            raise InvalidInput(f'not a Shipyard profile (expected "type": {PROFILE_TYPE!r})')
        version = data.get("version")
        if version != PROFILE_VERSION:
            raise InvalidInput(
                f"unsupported profile version {version!r} (this Shipyard reads {PROFILE_VERSION})",
                hint="profile the data again with this version of Shipyard",
            )
        rows = expect(data, "rows", int, what="profile")
        columns = [
            ColumnProfile.from_dict(c, f"columns[{i}]")
            for i, c in enumerate(expect(data, "columns", list, what="profile"))
        ]
        if any(c.rows != rows for c in columns):
            raise InvalidInput("malformed profile: a column's row count differs from the table's")
        source = data.get("source")
        return cls(
            columns,
            rows=rows,
            sample=_sample_from_dict(data.get("sample"), {c.name: c for c in columns}),
            source=source if isinstance(source, str) else None,
        )

    def to_json(self) -> str:
        return json.dumps(
            self.to_dict(), separators=(",", ":"), allow_nan=False, default=_json_default
        )

    def save(self, path: Path) -> None:
        """Write the JSON document atomically (temporary file, then rename)."""
        from shipyard.profiling.files import write_text_atomic

        write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> Profile:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"no profile at {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read profile {path}: {exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
        return cls.from_dict(data)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _padded(column: ColumnProfile, missing_rows: int) -> ColumnProfile:
    """``column`` extended by ``missing_rows`` nulls (the other table lacked it)."""
    out = column.merged(type(column)(column.name, column.dtype))
    out.rows += missing_rows
    out.nulls += missing_rows
    return out


def _canonical(table: pa.Table | None, columns: dict[str, ColumnProfile]) -> pa.Table | None:
    """The sample with one fixed Arrow type per column kind (see ``Profile.sample_rows``)."""
    if table is None:
        return None
    arrays: dict[str, pa.Array] = {}
    for name, column in columns.items():
        if name not in table.column_names or column.kind == "other":
            continue
        array = table.column(name).combine_chunks()
        if isinstance(array, pa.DictionaryArray):
            array = array.dictionary_decode()
        if isinstance(column, NumericColumn):
            if not pa.types.is_float64(array.type):  # float64 is canonical already
                array = pa.array(_floats(column, array), from_pandas=True)
        elif column.kind == "boolean":
            array = array.cast(pa.bool_())
        else:
            array = array.cast(pa.string())
        arrays[name] = array
    return pa.table(arrays) if arrays else None


def _sample_to_dict(sample: RowSample, columns: dict[str, ColumnProfile]) -> dict[str, Any]:
    keys, table = sample.state()
    canonical = _canonical(table, columns)
    stored: dict[str, Any] = {}
    if canonical is not None:
        for name in canonical.column_names:
            array = canonical.column(name).combine_chunks()
            if pa.types.is_floating(array.type):
                floats = array.to_numpy(zero_copy_only=False)
                stored[name] = {"kind": columns[name].kind, "values": encode_array(floats)}
            else:
                stored[name] = {"kind": columns[name].kind, "values": array.to_pylist()}
    return {
        **sample.describe(),
        "salt": sample.salt,
        "keys": encode_array(keys if stored else np.empty(0)),
        "columns": stored,
    }


def _floats(column: NumericColumn, array: pa.Array) -> npt.NDArray[np.float64]:
    """The values as float64, nulls as NaN."""
    if not array.null_count:
        return column.to_floats(array)
    floats = np.full(len(array), math.nan)
    floats[array.is_valid().to_numpy(zero_copy_only=False)] = column.to_floats(pc.drop_null(array))
    return floats


def _sample_from_dict(data: Any, columns: dict[str, ColumnProfile]) -> RowSample:
    if data is None:
        return RowSample(0)
    what = "sample"
    size = expect(data, "size", int, what=what)
    salt = expect(data, "salt", int, what=what)
    seen = expect(data, "seen", int, what=what)
    keys = decode_array(expect(data, "keys", dict, what=what), "f8", what="sample.keys")
    stored = expect(data, "columns", dict, what=what)
    if keys.size > max(size, 0) or np.any((keys < 0) | (keys >= 1)):
        raise InvalidInput("malformed profile: sample keys are out of range")
    if keys.size == 0:
        return RowSample.restore(size, salt, seen, keys, None)
    arrays: dict[str, pa.Array] = {}
    for name, entry in stored.items():
        column = columns.get(name)
        where = f"sample.columns[{name!r}]"
        if column is None or not isinstance(entry, dict):
            raise InvalidInput(f"malformed profile: {where} names no profiled column")
        if column.kind in ("numeric", "datetime"):
            values = decode_array(entry.get("values"), "f8", what=where)
            array = pa.array(values, from_pandas=True)
        else:
            raw = entry.get("values")
            if not isinstance(raw, list):
                raise InvalidInput(f"malformed profile: {where} has no value list")
            try:
                array = pa.array(raw, type=pa.bool_() if column.kind == "boolean" else pa.string())
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise InvalidInput(
                    f"malformed profile: {where} holds values of the wrong type"
                ) from exc
        if len(array) != keys.size:
            raise InvalidInput(f"malformed profile: {where} has the wrong number of rows")
        arrays[name] = array
    if not arrays:
        return RowSample.restore(size, salt, seen, np.empty(0), None)
    return RowSample.restore(size, salt, seen, keys, pa.table(arrays))
