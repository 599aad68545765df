"""The filter language: what parses into what, and errors that point at the bad token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipyard.core.errors import QuerySyntaxError
from shipyard.tracking.query import parse_filter, parse_order_by
from shipyard.tracking.query.nodes import (
    And,
    Compare,
    Field,
    FieldKind,
    InList,
    IsNull,
    Like,
    Not,
    Or,
    OrderKey,
)

M, P, T, A = FieldKind.METRIC, FieldKind.PARAM, FieldKind.TAG, FieldKind.ATTRIBUTE


def strip(node: object) -> object:
    """The tree without token positions, for comparing."""
    if isinstance(node, Field):
        return (node.kind, node.key)
    if isinstance(node, And | Or):
        return (type(node).__name__, tuple(strip(i) for i in node.items))
    if isinstance(node, Not):
        return ("Not", strip(node.item))
    if isinstance(node, Compare):
        return (strip(node.field), node.op, node.value)
    if isinstance(node, InList):
        return (strip(node.field), "in", node.values, node.negated)
    if isinstance(node, Like):
        return (strip(node.field), "like", node.pattern, node.negated, node.case_insensitive)
    if isinstance(node, IsNull):
        return (strip(node.field), "is null", node.negated)
    raise AssertionError(node)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("metrics.accuracy > 0.9", ((M, "accuracy"), ">", 0.9)),
        ("params.model = 'lr'", ((P, "model"), "=", "lr")),
        ('params.model == "lr"', ((P, "model"), "=", "lr")),
        ("params.C <> 1", ((P, "C"), "!=", 1.0)),
        ("metrics.`val/loss` <= -1e-3", ((M, "val/loss"), "<=", -0.001)),
        ("metrics.val.loss < 2", ((M, "val.loss"), "<", 2.0)),
        ("metric.f1-macro >= .5", ((M, "f1-macro"), ">=", 0.5)),
        ("tags.team like 'gr%'", ((T, "team"), "like", "gr%", False, False)),
        ("tags.team NOT ILIKE 'GR%'", ((T, "team"), "like", "GR%", True, True)),
        ("tags.version = 2", ((T, "version"), "=", "2")),
        ("status in ('failed', 'killed')", ((A, "status"), "in", ("failed", "killed"), False)),
        ("attributes.duration > 60", ((A, "duration"), ">", 60.0)),
        ("params.x is not null", ((P, "x"), "is null", True)),
        ("git_dirty = false", ((A, "git_dirty"), "=", False)),
        ("name = 'it''s'", ((A, "name"), "=", "it's")),
        (
            "start_time > '2026-01-02'",
            ((A, "start_time"), ">", datetime(2026, 1, 2, tzinfo=UTC)),
        ),
        (
            "metrics.a > 1 and metrics.b > 2 or not metrics.c > 3",
            (
                "Or",
                (
                    ("And", (((M, "a"), ">", 1.0), ((M, "b"), ">", 2.0))),
                    ("Not", ((M, "c"), ">", 3.0)),
                ),
            ),
        ),
        (
            "metrics.a > 1 and (metrics.b > 2 or metrics.c > 3)",
            (
                "And",
                (
                    ((M, "a"), ">", 1.0),
                    ("Or", (((M, "b"), ">", 2.0), ((M, "c"), ">", 3.0))),
                ),
            ),
        ),
    ],
)
def test_filters_parse_into_the_expected_tree(text: str, tree: object) -> None:
    assert strip(parse_filter(text)) == tree


def test_an_empty_filter_means_no_filter() -> None:
    assert parse_filter("   ") is None
    assert parse_order_by("") == []


def test_order_by_lists_keys_with_directions() -> None:
    keys = parse_order_by("metrics.f1 DESC, params.C, start_time asc")
    assert [(k.field.kind, k.field.key, k.descending) for k in keys] == [
        (M, "f1", True),
        (P, "C", False),
        (A, "start_time", False),
    ]
    assert str(OrderKey(Field(M, "val/loss"), True)) == "metrics.`val/loss` desc"


@pytest.mark.parametrize(
    ("text", "bad", "message"),
    [
        ("metrics.accuracy > and x", "and", "expected a value after '>'"),
        ("metrics.a > 1 params.b = 2", "params", "expected 'and', 'or'"),
        ("metrik.a > 1", "metrik", "unknown field prefix"),
        ("acuracy > 1", "acuracy", "unknown attribute"),
        ("metrics.a > 'x'", "'x'", "is a number"),
        ("metrics.a like 'x%'", "like", "like works on text"),
        ("(metrics.a > 1", "(", "unclosed '('"),
        ("metrics.a > 1)", ")", "expected 'and', 'or'"),
        ("metrics.a ~ 1", "~", "unexpected character '~'"),
        ("params.x = 'abc", "'abc", "unterminated string"),
        ("metrics.a >", "", "expected a value"),
        ("metrics.a in 1", "1", "expected '('"),
        ("metrics.a is 1", "1", "expected 'null'"),
        ("start_time > 'yesterday'", "'yesterday'", "not a date"),
        ("metrics.1st > 1", "1st", "malformed number"),
        ("git_dirty > true", ">", "only be compared with = or !="),
        ("metrics.a", "", "expected a comparison"),
    ],
)
def test_syntax_errors_point_at_the_bad_token(text: str, bad: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_filter(text)
    error = caught.value
    assert message in error.message
    assert text[error.position : error.position + len(bad)] == bad
    query_line, caret_line = error.details()
    assert query_line == f"  {text}"
    assert caret_line.index("^") - 2 == error.position
    assert f"column {error.position + 1}" in error.one_line()


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(QuerySyntaxError, match="nests too deeply"):
        parse_filter("(" * 500 + "metrics.a > 1" + ")" * 500)


_keys = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda k: k not in {"and", "or", "not", "in", "like", "ilike", "is", "null", "true", "false"}
)


@given(
    key=_keys,
    op=st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
    value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
)
def test_any_metric_comparison_round_trips(key: str, op: str, value: float) -> None:
    tree = parse_filter(f"metrics.{key} {op} {value!r}")
    assert isinstance(tree, Compare)
    assert (tree.field.key, tree.op, tree.value) == (key, op, value)


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_fails_with_a_located_syntax_error(text: str) -> None:
    error: QuerySyntaxError | None = None
    try:
        parse_filter(text)
    except QuerySyntaxError as exc:
        error = exc
    if error is not None:
        assert 0 <= error.position <= len(text)
        assert error.one_line()


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_any_string_literal_survives_quoting(value: str) -> None:
    # Backslash escapes a quote or itself; a doubled quote is a quote.
    quoted = "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    tree = parse_filter(f"params.p = {quoted}")
    assert isinstance(tree, Compare)
    assert tree.value == value
