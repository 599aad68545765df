"""The syntax tree of a parsed filter, and the fields it may name."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "ATTRIBUTES",
    "And",
    "AttrType",
    "Compare",
    "Expr",
    "Field",
    "FieldKind",
    "InList",
    "IsNull",
    "Like",
    "Not",
    "Or",
    "OrderKey",
    "Value",
]


class FieldKind(enum.StrEnum):
    METRIC = "metrics"
    PARAM = "params"
    TAG = "tags"
    ATTRIBUTE = "attributes"


class AttrType(enum.Enum):
    TEXT = "text"
    NUMBER = "number"
    TIME = "time"
    BOOL = "bool"


ATTRIBUTES: dict[str, AttrType] = {
    "id": AttrType.TEXT,
    "name": AttrType.TEXT,
    "status": AttrType.TEXT,
    "user": AttrType.TEXT,
    "host": AttrType.TEXT,
    "parent_id": AttrType.TEXT,
    "git_commit": AttrType.TEXT,
    "git_branch": AttrType.TEXT,
    "git_dirty": AttrType.BOOL,
    "start_time": AttrType.TIME,
    "end_time": AttrType.TIME,
    "duration": AttrType.NUMBER,
    "cpu_seconds": AttrType.NUMBER,
    "gpu_seconds": AttrType.NUMBER,
    "peak_rss_bytes": AttrType.NUMBER,
    "cost": AttrType.NUMBER,
    "exit_code": AttrType.NUMBER,
}
"""Run attributes a filter or an order-by may name, bare (``status``) or as
``attributes.status``."""

Value = float | str | bool | datetime


@dataclass(frozen=True)
class Field:
    kind: FieldKind
    key: str
    pos: int = 0
    end: int = 0

    def __str__(self) -> str:
        if self.kind is FieldKind.ATTRIBUTE:
            return self.key
        simple = self.key.replace("_", "a").replace("-", "a").isalnum()
        return f"{self.kind}.{self.key}" if simple else f"{self.kind}.`{self.key}`"

    @property
    def attr_type(self) -> AttrType:
        if self.kind is FieldKind.METRIC:
            return AttrType.NUMBER
        if self.kind is FieldKind.ATTRIBUTE:
            return ATTRIBUTES[self.key]
        return AttrType.TEXT


@dataclass(frozen=True)
class Compare:
    """``field op value`` with op one of ``= != < <= > >=``."""

    field: Field
    op: str
    value: Value


@dataclass(frozen=True)
class InList:
    field: Field
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like:
    field: Field
    pattern: str
    negated: bool = False
    case_insensitive: bool = False


@dataclass(frozen=True)
class IsNull:
    """``field is null``: the run has no such metric, param or tag (or attribute value)."""

    field: Field
    negated: bool = False


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Expr = Compare | InList | Like | IsNull | And | Or | Not


@dataclass(frozen=True)
class OrderKey:
    field: Field
    descending: bool = False

    def __str__(self) -> str:
        return f"{self.field} {'desc' if self.descending else 'asc'}"
