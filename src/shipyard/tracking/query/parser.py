"""A recursive-descent parser for run filters and orderings.

Grammar (keywords case-insensitive)::

    filter     := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | condition
    condition  := field op value
                | field ["not"] "in" "(" value ("," value)* ")"
                | field ["not"] ("like" | "ilike") string
                | field "is" ["not"] "null"
    field      := prefix "." key | attribute
    prefix     := metrics | params | tags | attributes   (singular forms too)
    key        := name ("." name)* | `quoted name`
    value      := ["-"] number | string | "true" | "false"
    order_by   := [order_key ("," order_key)*] END
    order_key  := field ["asc" | "desc"]

Every error is a :class:`QuerySyntaxError` pointing at the offending token,
except a filter or ordering over the bounds of :mod:`.limits`
(:class:`InvalidInput`: it is too complex).
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

from shipyard.core.errors import QuerySyntaxError
from shipyard.tracking.query.limits import (
    MAX_DEPTH,
    MAX_LIST_VALUES,
    MAX_ORDER_KEYS,
    MAX_TERMS,
    check_length,
    too_complex,
)
from shipyard.tracking.query.nodes import (
    ATTRIBUTES,
    And,
    AttrType,
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
from shipyard.tracking.query.tokens import Kind, Token, tokenize

__all__ = ["parse_filter", "parse_order_by"]

_PREFIXES = {
    "metrics": FieldKind.METRIC,
    "metric": FieldKind.METRIC,
    "params": FieldKind.PARAM,
    "param": FieldKind.PARAM,
    "tags": FieldKind.TAG,
    "tag": FieldKind.TAG,
    "attributes": FieldKind.ATTRIBUTE,
    "attribute": FieldKind.ATTRIBUTE,
    "attr": FieldKind.ATTRIBUTE,
    "run": FieldKind.ATTRIBUTE,
}
_ALIASES = {"duration": "duration", "wall_seconds": "duration", "created_by": "user"}
_OPS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_KEYWORDS = {"and", "or", "not", "in", "like", "ilike", "is", "null", "true", "false"}


def parse_filter(text: str) -> Expr | None:
    """The syntax tree of ``text``, or None for an empty filter."""
    if not text.strip():
        return None
    check_length(text, "filter")
    parser = _Parser(text)
    expr = parser.or_expr()
    parser.expect_end("'and', 'or' or the end of the filter")
    if parser.terms > MAX_TERMS:
        raise too_complex("filter", f"{parser.terms:,} terms", MAX_TERMS)
    if parser.values > MAX_LIST_VALUES:
        raise too_complex("filter", f"{parser.values:,} values in lists", MAX_LIST_VALUES)
    return expr


def parse_order_by(text: str) -> list[OrderKey]:
    """The sort keys of ``text`` (``"metrics.f1 desc, start_time"``); empty text gives []."""
    if not text.strip():
        return []
    check_length(text, "ordering")
    parser = _Parser(text)
    keys = [parser.order_key()]
    while parser.peek.kind is Kind.COMMA:
        parser.advance()
        keys.append(parser.order_key())
    parser.expect_end("',' or the end of the ordering")
    if len(keys) > MAX_ORDER_KEYS:
        raise too_complex("ordering", f"{len(keys):,} keys", MAX_ORDER_KEYS, "sort by fewer fields")
    return keys


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.terms = 0  # conditions and values in in-lists, checked against .limits
        self.values = 0

    # -- token helpers -------------------------------------------------------

    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    def at(self, kind: Kind) -> bool:
        return self.tokens[self.index].kind is kind

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not Kind.END:
            self.index += 1
        return token

    def error(self, message: str, token: Token, hint: str | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(
            f"{message} at column {token.pos + 1}",
            query=self.text,
            position=token.pos,
            length=token.length,
            hint=hint,
        )

    def expected(self, what: str, hint: str | None = None) -> QuerySyntaxError:
        return self.error(f"expected {what}, found {self.peek.describe()}", self.peek, hint)

    def expect_end(self, what: str) -> None:
        if not self.at(Kind.END):
            raise self.expected(what)

    # -- filter --------------------------------------------------------------

    def or_expr(self) -> Expr:
        items = [self.and_expr()]
        while self.peek.is_keyword("or"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Expr:
        items = [self.not_expr()]
        while self.peek.is_keyword("and"):
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                f"the filter nests too deeply (at most {MAX_DEPTH} levels of '(' and 'not')",
                self.peek,
            )
        try:
            if self.peek.is_keyword("not"):
                self.advance()
                return Not(self.not_expr())
            if self.at(Kind.LPAREN):
                opening = self.advance()
                expr = self.or_expr()
                if not self.at(Kind.RPAREN):
                    if self.at(Kind.END):
                        raise self.error("unclosed '('", opening, "add the missing ')'")
                    raise self.expected("')', 'and' or 'or'")
                self.advance()
                return expr
            return self.condition()
        finally:
            self.depth -= 1

    def condition(self) -> Expr:
        self.terms += 1
        field = self.field()
        token = self.peek
        if token.kind is Kind.OP:
            self.advance()
            op = _OPS[token.text]
            value = self.value(field, token)
            if isinstance(value, bool) and op not in ("=", "!="):
                raise self.error(f"{field} can only be compared with = or !=", token)
            return Compare(field, op, value)
        negated = False
        if token.is_keyword("not"):
            self.advance()
            negated = True
            if not (self.peek.is_keyword("in", "like", "ilike")):
                raise self.expected("'in', 'like' or 'ilike' after 'not'")
        if self.peek.is_keyword("in"):
            return self.in_list(field, negated)
        if self.peek.is_keyword("like", "ilike"):
            keyword = self.advance()
            if field.attr_type is not AttrType.TEXT:
                raise self.error(
                    f"{keyword.text.lower()} works on text; {field} is a {field.attr_type.value}",
                    keyword,
                )
            pattern = self.peek
            if pattern.kind is not Kind.STRING:
                raise self.expected("a quoted pattern such as 'lr%'")
            self.advance()
            return Like(field, pattern.text, negated, keyword.is_keyword("ilike"))
        if token.is_keyword("is"):
            self.advance()
            is_not = False
            if self.peek.is_keyword("not"):
                self.advance()
                is_not = True
            if not self.peek.is_keyword("null"):
                raise self.expected("'null'")
            self.advance()
            return IsNull(field, is_not)
        raise self.expected(
            "a comparison (=, !=, <, <=, >, >=, in, like, is null)",
            hint="write conditions as field operator value, e.g. metrics.accuracy > 0.9",
        )

    def in_list(self, field: Field, negated: bool) -> Expr:
        self.advance()
        if not self.at(Kind.LPAREN):
            raise self.expected("'(' to open the list of values")
        self.advance()
        values = [self.value(field, self.peek)]
        while self.at(Kind.COMMA):
            self.advance()
            values.append(self.value(field, self.peek))
        if not self.at(Kind.RPAREN):
            raise self.expected("',' or ')'")
        self.advance()
        self.values += len(values)
        return InList(field, tuple(values), negated)

    # -- fields and values ---------------------------------------------------

    def field(self) -> Field:
        token = self.peek
        if token.kind is Kind.QUOTED_IDENT:
            raise self.error(
                f"a quoted name needs a prefix, e.g. metrics.`{token.text}`",
                token,
            )
        if token.kind is not Kind.IDENT or token.text.lower() in _KEYWORDS:
            raise self.expected(
                "a field such as metrics.accuracy, params.model, tags.team or status"
            )
        self.advance()
        if not self.at(Kind.DOT):
            return self.attribute(token.text, token, token)
        kind = _PREFIXES.get(token.text.lower())
        if kind is None:
            close = difflib.get_close_matches(token.text.lower(), ["metrics", "params", "tags"], 1)
            hint = f"did you mean {close[0]!r}?" if close else "use metrics., params. or tags."
            raise self.error(f"unknown field prefix {token.text!r}", token, hint)
        self.advance()
        first = self.peek
        if kind is FieldKind.ATTRIBUTE:
            if first.kind is not Kind.IDENT:
                raise self.expected("an attribute name")
            self.advance()
            return self.attribute(first.text, first, token)
        if first.kind is Kind.QUOTED_IDENT:
            self.advance()
            if not first.text:
                raise self.error("empty name", first)
            return Field(kind, first.text, token.pos, first.end)
        if first.kind is not Kind.IDENT:
            raise self.expected(
                f"a {kind.value[:-1]} name after '{token.text}.'",
                hint="quote names with special characters in backticks: metrics.`val/loss`",
            )
        self.advance()
        parts, end = [first.text], first.end
        while self.at(Kind.DOT) and self.tokens[self.index + 1].kind is Kind.IDENT:
            self.advance()
            part = self.advance()
            parts.append(part.text)
            end = part.end
        return Field(kind, ".".join(parts), token.pos, end)

    def attribute(self, name: str, token: Token, start: Token) -> Field:
        key = _ALIASES.get(name.lower(), name.lower())
        if key not in ATTRIBUTES:
            close = difflib.get_close_matches(key, list(ATTRIBUTES), 1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"metrics, params and tags need a prefix (metrics.{name}); "
                f"attributes are {', '.join(ATTRIBUTES)}"
            )
            raise self.error(f"unknown attribute {name!r}", token, hint)
        return Field(FieldKind.ATTRIBUTE, key, start.pos, token.end)

    def value(self, field: Field, after: Token) -> Value:
        token = self.peek
        kind = field.attr_type
        if token.kind is Kind.END or token.is_keyword("and", "or"):
            raise self.expected(f"a value after {after.describe()}")
        if token.kind is Kind.MINUS or token.kind is Kind.NUMBER:
            number = self.number()
            written = self.text[token.pos : self.tokens[self.index - 1].end]
            if kind is AttrType.NUMBER or field.kind is FieldKind.PARAM:
                return number  # params compare numerically with the number they spell
            if kind is AttrType.TEXT:
                return written  # tags and text attributes compare as written
            raise self.error(f"{field} compares with a {kind.value}, not a number", token)
        if token.kind is Kind.STRING:
            self.advance()
            if kind is AttrType.NUMBER:
                raise self.error(
                    f"{field} is a number; {token.describe()} is text",
                    token,
                    hint="write numbers without quotes",
                )
            if kind is AttrType.TIME:
                return self.time(token)
            if kind is AttrType.BOOL:
                raise self.error(f"{field} is true or false, not text", token)
            return token.text
        if token.is_keyword("true", "false"):
            self.advance()
            if kind is not AttrType.BOOL:
                raise self.error(
                    f"{field} is a {kind.value}; {token.text} needs quotes to be text", token
                )
            return token.text.lower() == "true"
        raise self.expected("a number or a quoted string", hint="quote text values: 'lr'")

    def number(self) -> float:
        sign = 1.0
        if self.at(Kind.MINUS):
            self.advance()
            sign = -1.0
        token = self.peek
        if token.kind is not Kind.NUMBER:
            raise self.expected("a number after '-'")
        self.advance()
        return sign * float(token.text)

    def time(self, token: Token) -> datetime:
        try:
            value = datetime.fromisoformat(token.text)
        except ValueError:
            raise self.error(
                f"{token.describe()} is not a date or time",
                token,
                hint="use ISO 8601: '2026-11-26' or '2026-11-26T14:30:00'",
            ) from None
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    # -- ordering ------------------------------------------------------------

    def order_key(self) -> OrderKey:
        field = self.field()
        descending = False
        if self.peek.is_keyword("asc", "desc"):
            descending = self.advance().text.lower() == "desc"
        return OrderKey(field, descending)
