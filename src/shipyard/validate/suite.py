"""Validation suites: the YAML format, read with line numbers and written for people.

A suite names row-count bounds and, per column, the rules its values must
keep::

    version: 1
    name: churn
    rows: {min: 5000, max: 20000}
    allow_extra_columns: true
    columns:
      age:
        type: integer          # integer | float | number | string | boolean | datetime | any
        required: true         # the column must exist (default)
        max_null_fraction: 0.0
        min: 18
        max: 99
      plan:
        type: string
        allowed: [basic, pro, team]
      customer_id:
        type: string
        unique: true
        pattern: 'C[0-9]{6}'    # RE2 syntax; the whole value must match
        min_length: 7
        max_length: 7

A malformed file is refused with one line naming the file, the line and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from shipyard.core.errors import InvalidInput, NotFound

__all__ = ["COLUMN_TYPES", "ColumnRules", "Suite", "load_suite", "parse_suite"]

SUITE_VERSION = 1
COLUMN_TYPES = ("integer", "float", "number", "string", "boolean", "datetime", "any")
_TOP_KEYS = {"version", "name", "rows", "allow_extra_columns", "columns"}
_ROW_KEYS = {"min", "max"}
_COLUMN_KEYS = {
    "type", "required", "max_null_fraction", "min", "max", "allowed", "unique", "pattern",
    "min_length", "max_length",
}  # fmt: skip

Bound = int | float | str  # str: an ISO date/time for datetime columns
Scalar = str | int | float | bool


@dataclass(frozen=True)
class ColumnRules:
    name: str
    type: str = "any"
    required: bool = True
    max_null_fraction: float | None = None
    min: Bound | None = None
    max: Bound | None = None
    allowed: tuple[Scalar, ...] | None = None
    unique: bool = False
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if not self.required:
            out["required"] = False
        for key in ("max_null_fraction", "min", "max"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.allowed is not None:
            out["allowed"] = list(self.allowed)
        if self.unique:
            out["unique"] = True
        for key in ("pattern", "min_length", "max_length"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class Suite:
    name: str
    columns: dict[str, ColumnRules] = field(default_factory=dict)
    rows_min: int | None = None
    rows_max: int | None = None
    allow_extra_columns: bool = True
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": SUITE_VERSION, "name": self.name}
        rows = {k: v for k, v in (("min", self.rows_min), ("max", self.rows_max)) if v is not None}
        if rows:
            out["rows"] = rows
        out["allow_extra_columns"] = self.allow_extra_columns
        out["columns"] = {name: rules.to_dict() for name, rules in self.columns.items()}
        return out

    def to_yaml(self, header: str | None = None) -> str:
        body = yaml.dump(
            self.to_dict(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
        )
        if header:
            body = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) + body
        return body


class _Dumper(yaml.SafeDumper):
    """Block style for mappings (one rule per line), flow style for lists of values."""


def _flow_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(list, _flow_list)


class _SuiteError(Exception):
    def __init__(self, node: yaml.Node | None, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1 if node is not None else None
        self.message = message


def load_suite(path: str | Path) -> Suite:
    """Read a suite file; :class:`InvalidInput` (one line, with the line number) if malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no suite file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read suite {path}: {exc}") from exc
    return parse_suite(text, str(path))


def parse_suite(text: str, source: str = "<suite>") -> Suite:
    """Parse suite YAML; errors name ``source`` and the line."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise _SuiteError(None, "the file is empty")
        return _suite(loader, root, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(
            f"{source}{line}: not valid YAML ({exc.problem or exc.context})"
        ) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not valid YAML ({exc})") from None
    except _SuiteError as exc:
        line = f" line {exc.line}" if exc.line else ""
        raise InvalidInput(f"{source}{line}: {exc.message}") from None
    finally:
        loader.dispose()


def _mapping(node: yaml.Node, where: str, keys: set[str] | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise _SuiteError(node, f"{where} must be a mapping of keys to values")
    out: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str) or not key:
            raise _SuiteError(key_node, f"{where} has a key that is not a name")
        if keys is not None and key not in keys:
            raise _SuiteError(
                key_node,
                f"unknown key {key!r} in {where} (expected one of: {', '.join(sorted(keys))})",
            )
        if key in out:
            raise _SuiteError(key_node, f"{where} repeats the key {key!r}")
        out[key] = value_node
    return out


def _value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_object(node, deep=True)


def _int(loader: yaml.SafeLoader, node: yaml.Node, what: str, *, minimum: int = 0) -> int:
    value = _value(loader, node)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _SuiteError(node, f"{what} must be a whole number ≥ {minimum}, not {value!r}")
    return value


def _suite(loader: yaml.SafeLoader, root: yaml.Node, source: str) -> Suite:
    top = _mapping(root, "the suite", _TOP_KEYS)
    if "version" in top:
        version = _value(loader, top["version"])
        if version != SUITE_VERSION:
            raise _SuiteError(top["version"], f"unsupported suite version {version!r} (expected 1)")
    name = _value(loader, top["name"]) if "name" in top else Path(source).stem
    if not isinstance(name, str):
        raise _SuiteError(top.get("name"), "name must be text")
    rows_min = rows_max = None
    if "rows" in top:
        rows = _mapping(top["rows"], "rows", _ROW_KEYS)
        rows_min = _int(loader, rows["min"], "rows.min") if "min" in rows else None
        rows_max = _int(loader, rows["max"], "rows.max") if "max" in rows else None
        if rows_min is not None and rows_max is not None and rows_min > rows_max:
            raise _SuiteError(top["rows"], "rows.min is larger than rows.max")
    extra = True
    if "allow_extra_columns" in top:
        extra = _value(loader, top["allow_extra_columns"])
        if not isinstance(extra, bool):
            raise _SuiteError(
                top["allow_extra_columns"], "allow_extra_columns must be true or false"
            )
    columns: dict[str, ColumnRules] = {}
    if "columns" in top:
        column_nodes = top["columns"]
        if not (
            isinstance(column_nodes, yaml.ScalarNode) and column_nodes.value in ("", "~", "null")
        ):
            for name_, node in _mapping(column_nodes, "columns", None).items():
                columns[name_] = _column(loader, name_, node)
    return Suite(name, columns, rows_min, rows_max, extra, source)


def _bound(loader: yaml.SafeLoader, node: yaml.Node, what: str, kind: str) -> Bound:
    value = _value(loader, node)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if kind == "datetime":
        if not isinstance(value, str):
            raise _SuiteError(
                node, f"{what} must be a date or time (ISO 8601) for a datetime column"
            )
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise _SuiteError(node, f"{what} is not an ISO 8601 date/time: {value!r}") from None
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise _SuiteError(node, f"{what} must be a number, not {value!r}")
    return value


def _column(loader: yaml.SafeLoader, name: str, node: yaml.Node) -> ColumnRules:
    where = f"column {name!r}"
    rules = _mapping(node, where, _COLUMN_KEYS)
    kind = "any"
    if "type" in rules:
        kind = _value(loader, rules["type"])
        if kind not in COLUMN_TYPES:
            raise _SuiteError(
                rules["type"],
                f"{where}: type must be one of {', '.join(COLUMN_TYPES)}, not {kind!r}",
            )
    fields: dict[str, Any] = {"name": name, "type": kind, "line": node.start_mark.line + 1}
    for key in ("required", "unique"):
        if key in rules:
            value = _value(loader, rules[key])
            if not isinstance(value, bool):
                raise _SuiteError(rules[key], f"{where}: {key} must be true or false")
            fields[key] = value
    if "max_null_fraction" in rules:
        value = _value(loader, rules["max_null_fraction"])
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise _SuiteError(
                rules["max_null_fraction"], f"{where}: max_null_fraction must be between 0 and 1"
            )
        fields["max_null_fraction"] = float(value)
    for key in ("min", "max"):
        if key in rules:
            fields[key] = _bound(loader, rules[key], f"{where}: {key}", kind)
    low, high = fields.get("min"), fields.get("max")
    if low is not None and high is not None and type(low) is type(high) and low > high:
        raise _SuiteError(rules["min"], f"{where}: min is larger than max")
    if "allowed" in rules:
        value = _value(loader, rules["allowed"])
        if not isinstance(value, list) or not all(
            isinstance(v, str | int | float | bool) for v in value
        ):
            raise _SuiteError(rules["allowed"], f"{where}: allowed must be a list of values")
        fields["allowed"] = tuple(value)
    if "pattern" in rules:
        pattern = _value(loader, rules["pattern"])
        if not isinstance(pattern, str) or not pattern:
            raise _SuiteError(rules["pattern"], f"{where}: pattern must be a regular expression")
        problem = _regex_problem(pattern)
        if problem:
            raise _SuiteError(
                rules["pattern"], f"{where}: pattern is not a valid RE2 expression ({problem})"
            )
        fields["pattern"] = pattern
    for key in ("min_length", "max_length"):
        if key in rules:
            fields[key] = _int(loader, rules[key], f"{where}: {key}")
    return ColumnRules(**fields)


def _regex_problem(pattern: str) -> str | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""]), pattern=pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        return str(exc).splitlines()[0]
    return None
