"""What every column profile has, and the choice of profile for an Arrow type."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

import pyarrow as pa

from shipyard.core.errors import InvalidInput
from shipyard.profiling.encoding import expect

__all__ = ["ColumnKind", "ColumnProfile", "kind_of"]

ColumnKind = Literal["numeric", "datetime", "boolean", "categorical", "other"]


def kind_of(dtype: pa.DataType) -> ColumnKind:
    """How a column of this Arrow type is profiled."""
    if pa.types.is_dictionary(dtype):
        return kind_of(dtype.value_type)
    if pa.types.is_boolean(dtype):
        return "boolean"
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "numeric"
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
        return "datetime"
    if (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_string_view(dtype)
    ):
        return "categorical"
    return "other"


class ColumnProfile(ABC):
    """Summary of one column: row and null counts plus kind-specific sketches."""

    kind: ClassVar[ColumnKind]

    def __init__(self, name: str, dtype: str) -> None:
        self.name = name
        self.dtype = dtype
        self.rows = 0
        self.nulls = 0

    @property
    def non_null(self) -> int:
        return self.rows - self.nulls

    @property
    def null_fraction(self) -> float:
        return self.nulls / self.rows if self.rows else 0.0

    @property
    def distinct(self) -> float | None:
        """Estimated number of distinct non-null values (None if not tracked)."""
        return None

    @property
    def distinct_exact(self) -> bool:
        return False

    @abstractmethod
    def update(self, array: pa.Array) -> None:
        """Add a batch of this column's values."""

    @abstractmethod
    def merged(self, other: ColumnProfile) -> ColumnProfile:
        """A profile of both batches of values (``self`` unchanged)."""

    def summary(self) -> dict[str, Any]:
        """Derived figures for people and other tools (never read back)."""
        return {"null_fraction": self.null_fraction}

    def state(self) -> dict[str, Any]:
        """The kind-specific, mergeable state (read back by ``restore``)."""
        return {}

    def restore(self, data: dict[str, Any], what: str) -> None:  # noqa: B027 - optional hook
        """Load what :meth:`state` wrote (nothing, unless a kind keeps sketches)."""

    def _check_mergeable(self, other: ColumnProfile) -> None:
        if other.kind != self.kind:
            raise InvalidInput(
                f"cannot merge profiles: column {self.name!r} is {self.kind} in one "
                f"and {other.kind} in the other"
            )

    def _merge_counts(self, out: ColumnProfile, other: ColumnProfile) -> None:
        out.rows = self.rows + other.rows
        out.nulls = self.nulls + other.nulls

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "kind": self.kind,
            "rows": self.rows,
            "nulls": self.nulls,
            "state": self.state(),
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, data: Any, what: str) -> ColumnProfile:
        from shipyard.profiling.columns import COLUMN_TYPES

        kind = expect(data, "kind", str, what=what)
        if kind not in COLUMN_TYPES:
            raise InvalidInput(f"malformed profile: {what} has unknown kind {kind!r}")
        column = COLUMN_TYPES[kind](
            expect(data, "name", str, what=what), expect(data, "dtype", str, what=what)
        )
        column.rows = expect(data, "rows", int, what=what)
        column.nulls = expect(data, "nulls", int, what=what)
        if not 0 <= column.nulls <= column.rows:
            raise InvalidInput(f"malformed profile: {what} has more nulls than rows")
        column.restore(expect(data, "state", dict, what=what), what)
        return column
