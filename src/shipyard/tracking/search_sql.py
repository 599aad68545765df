"""From a parsed filter and ordering to SQL over the tracking tables.

Conditions on metrics, params and tags become correlated ``EXISTS`` lookups on
their (run_id, key) primary keys, so ``and``, ``or`` and ``not`` combine freely
and each lookup is one index probe. Sort keys become outer joins, missing
values (and NaN) sorting last in both directions. Pagination is by keyset: the
page token carries the last row's sort values, and the next page starts
strictly after them, so deep pages cost what the first one does.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, not_, or_
from sqlalchemy.orm import aliased

from shipyard.core.errors import InvalidInput
from shipyard.tracking.query.nodes import (
    And,
    Compare,
    Expr,
    Field,
    FieldKind,
    InList,
    IsNull,
    Like,
    Not,
    Or,
    OrderKey,
    Value,
)
from shipyard.tracking.tables import LatestMetricRow, ParamRow, RunRow, TagRow

__all__ = ["SortColumn", "attribute_column", "filter_clause", "keyset", "order_columns"]

_ATTRIBUTE_COLUMNS: dict[str, Any] = {
    "id": RunRow.id,
    "name": RunRow.name,
    "status": RunRow.status,
    "user": RunRow.created_by,
    "host": RunRow.host,
    "parent_id": RunRow.parent_id,
    "git_commit": RunRow.git_commit,
    "git_branch": RunRow.git_branch,
    "git_dirty": RunRow.git_dirty,
    "start_time": RunRow.start_time,
    "end_time": RunRow.end_time,
    "duration": RunRow.wall_seconds,
    "cpu_seconds": RunRow.cpu_seconds,
    "gpu_seconds": RunRow.gpu_seconds,
    "peak_rss_bytes": RunRow.peak_rss_bytes,
    "cost": RunRow.cost,
    "exit_code": RunRow.exit_code,
}


def attribute_column(name: str) -> Any:
    return _ATTRIBUTE_COLUMNS[name]


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "=":
        return column == value  # type: ignore[no-any-return]
    if op == "!=":
        return column != value  # type: ignore[no-any-return]
    if op == "<":
        return column < value  # type: ignore[no-any-return]
    if op == "<=":
        return column <= value  # type: ignore[no-any-return]
    if op == ">":
        return column > value  # type: ignore[no-any-return]
    if op == ">=":
        return column >= value  # type: ignore[no-any-return]
    raise AssertionError(op)  # pragma: no cover


def _keyed(field: Field) -> tuple[Any, list[ColumnElement[bool]]]:
    """The table holding ``field``'s values and the clauses selecting this run's row."""
    table: Any = {
        FieldKind.METRIC: LatestMetricRow,
        FieldKind.PARAM: ParamRow,
        FieldKind.TAG: TagRow,
    }[field.kind]
    return table, [table.run_id == RunRow.id, table.key == field.key]


def _value_column(table: Any, value: Value) -> Any:
    if table is ParamRow and isinstance(value, float):
        return ParamRow.value_num
    return table.value


def filter_clause(expr: Expr) -> ColumnElement[bool]:
    """The WHERE clause (over ``runs``) equivalent to ``expr``."""
    if isinstance(expr, And):
        return and_(*(filter_clause(e) for e in expr.items))
    if isinstance(expr, Or):
        return or_(*(filter_clause(e) for e in expr.items))
    if isinstance(expr, Not):
        return not_(filter_clause(expr.item))
    field = expr.field
    if field.kind is FieldKind.ATTRIBUTE:
        return _attribute_clause(expr, attribute_column(field.key))
    table, where = _keyed(field)
    if isinstance(expr, IsNull):
        present = exists().where(*where)
        return present if expr.negated else not_(present)
    if isinstance(expr, Compare):
        condition = _compare(_value_column(table, expr.value), expr.op, expr.value)
    elif isinstance(expr, InList):
        condition = _in(table, expr.values)
    else:
        condition = _like(table.value, expr)
    clause = exists().where(*where, condition)
    if isinstance(expr, InList | Like) and expr.negated:
        return exists().where(*where, not_(condition))
    return clause


def _in(table: Any, values: Sequence[Value]) -> ColumnElement[bool]:
    numbers = [v for v in values if isinstance(v, float)]
    texts = [v for v in values if not isinstance(v, float)]
    parts = []
    if numbers:
        parts.append(_value_column(table, numbers[0]).in_(numbers))
    if texts:
        parts.append(table.value.in_(texts))
    return or_(*parts)


def _like(column: Any, expr: Like) -> ColumnElement[bool]:
    if expr.case_insensitive:
        return column.ilike(expr.pattern)  # type: ignore[no-any-return]
    return column.like(expr.pattern)  # type: ignore[no-any-return]


def _attribute_clause(expr: Expr, column: Any) -> ColumnElement[bool]:
    if isinstance(expr, IsNull):
        return column.isnot(None) if expr.negated else column.is_(None)  # type: ignore[no-any-return]
    if isinstance(expr, Compare):
        return _compare(column, expr.op, expr.value)
    if isinstance(expr, InList):
        clause = column.in_(expr.values)
        return not_(clause) if expr.negated else clause  # type: ignore[no-any-return]
    assert isinstance(expr, Like)
    clause = _like(column, expr)
    return not_(clause) if expr.negated else clause


# -- ordering and keyset pagination -------------------------------------------


@dataclass(frozen=True)
class SortColumn:
    column: Any
    descending: bool

    def sql(self) -> Any:
        ordered = self.column.desc() if self.descending else self.column.asc()
        return ordered.nulls_last()


def order_columns(
    query: Select[Any], keys: Sequence[OrderKey]
) -> tuple[Select[Any], list[SortColumn]]:
    """Join what ``keys`` sort by into ``query``; return it and the sort columns.

    The run id always ends the list, in the direction of the first key (newest
    first without keys), so the order is total.
    """
    columns: list[SortColumn] = []
    for index, key in enumerate(keys):
        field = key.field
        if field.kind is FieldKind.ATTRIBUTE:
            columns.append(SortColumn(attribute_column(field.key), key.descending))
            continue
        table: Any = {
            FieldKind.METRIC: LatestMetricRow,
            FieldKind.PARAM: ParamRow,
            FieldKind.TAG: TagRow,
        }[field.kind]
        alias: Any = aliased(table, name=f"sort_{index}")
        query = query.outerjoin(alias, and_(alias.run_id == RunRow.id, alias.key == field.key))
        if table is ParamRow:  # numbers in numeric order, then text
            columns.append(SortColumn(alias.value_num, key.descending))
        columns.append(SortColumn(alias.value, key.descending))
    columns.append(SortColumn(RunRow.id, keys[0].descending if keys else True))
    return query, columns


def keyset(columns: Sequence[SortColumn], last: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after the row whose sort values are ``last`` (nulls sort last)."""
    clause: ColumnElement[bool] = false()
    for column, value in reversed(list(zip(columns, last, strict=True))):
        col = column.column
        if value is None:
            # After a NULL come only NULLs (they sort last), ordered by what follows.
            clause = and_(col.is_(None), clause)
            continue
        beyond = col < value if column.descending else col > value
        clause = or_(beyond, col.is_(None), and_(col == value, clause))
    return clause


def encode_token(values: Sequence[Any], fingerprint: str) -> str:
    cells = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"q": fingerprint, "v": cells}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, fingerprint: str, width: int) -> list[Any]:
    """The sort values in ``token``; raises :class:`InvalidInput` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        cells = data["v"]
        if data["q"] != fingerprint or not isinstance(cells, list) or len(cells) != width:
            raise ValueError("another query")
        return [datetime.fromisoformat(c["t"]) if isinstance(c, dict) else c for c in cells]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            "invalid page token for this query",
            hint="pass the token printed by the previous page of the same search",
        ) from exc


def fingerprint(*parts: object) -> str:
    """A short digest of what a search asked, so a token is not reused on another search."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()
