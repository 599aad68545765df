"""Filters and orderings are bounded in the parser: a query the metadata store could
not run is refused as too complex (400), never "cannot use the metadata store".

The largest query allowed runs on SQLite and PostgreSQL alike, so the bounds in
``shipyard.tracking.query.limits`` leave the stores' own limits out of reach.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shipyard.core.errors import InvalidInput, QuerySyntaxError
from shipyard.core.principal import LOCAL_OWNER
from shipyard.store.db import Database
from shipyard.tracking.entities import LogBatch, RunSpec
from shipyard.tracking.query import limits, parse_filter, parse_order_by
from shipyard.tracking.service import TrackingService
from tests.serverkit import PROJECT, Team

HUGE = " or ".join(f"metrics.m{i} > {i}" for i in range(3_000))


def _chain(terms: int) -> str:
    return " or ".join(f"metrics.m{i} > -{i}" for i in range(terms))


def _nested(levels: int) -> str:
    """``a or (b and (c or (…)))``: the shape that nests deepest in SQL per level
    (every run of the fixture matches it)."""
    opened = "".join(
        f"params.k{i % 8} not in (7, 'a') {'and' if i % 2 else 'or'} (" for i in range(levels)
    )
    return opened + "metrics.m0 >= 0" + ")" * levels


@pytest.fixture
def service(database: Database) -> TrackingService:
    service = TrackingService(database)
    for i in range(3):
        run_id = service.create_run(LOCAL_OWNER, PROJECT, RunSpec("e", f"r{i}")).id
        params = [(run_id, f"k{j}", str(i)) for j in range(limits.MAX_ORDER_KEYS)]
        service.log(LOCAL_OWNER, LogBatch(metrics=[(run_id, "m0", float(i), 0, 1)], params=params))
    return service


def test_a_3000_term_filter_is_too_complex_on_every_backend(service: TrackingService) -> None:
    with pytest.raises(
        InvalidInput, match=r"the filter is too complex \(3,000 terms; at most 200\)"
    ):
        service.search_runs(LOCAL_OWNER, PROJECT, filter=HUGE)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_chain(limits.MAX_TERMS + 1), r"too complex \(201 terms; at most 200\)"),
        (
            "params.p in (" + ", ".join(str(i) for i in range(limits.MAX_LIST_VALUES + 1)) + ")",
            r"too complex \(1,001 values in lists; at most 1,000\)",
        ),
        (
            "params.p = '" + "x" * limits.MAX_CHARS + "'",
            r"too long \(100,013 characters; at most 100,000\)",
        ),
    ],
    ids=["terms", "values", "length"],
)
def test_filters_over_a_bound_are_refused_before_any_sql(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_filter(text)
    assert not isinstance(caught.value, QuerySyntaxError)  # no caret line under 100 kB


def test_nesting_and_orderings_are_bounded() -> None:
    with pytest.raises(QuerySyntaxError, match="nests too deeply"):
        parse_filter(_nested(limits.MAX_DEPTH))
    keys = ", ".join(f"params.k{i}" for i in range(limits.MAX_ORDER_KEYS + 1))
    with pytest.raises(InvalidInput, match=r"the ordering is too complex \(9 keys; at most 8\)"):
        parse_order_by(keys)


@pytest.mark.parametrize(
    "order_by",
    ["", "metrics.m0 desc", ", ".join(f"params.k{i} desc" for i in range(limits.MAX_ORDER_KEYS))],
    ids=["default", "by-metric", "most-keys"],
)
@pytest.mark.parametrize(
    "text",
    [
        _chain(limits.MAX_TERMS),
        "not " * (limits.MAX_DEPTH - 2) + "(" + _chain(limits.MAX_TERMS) + ")",
        _nested(limits.MAX_DEPTH - 1),
        " or ".join(
            f"params.k{i % 8} in ({', '.join(repr(str(j)) for j in range(5))})"
            for i in range(limits.MAX_TERMS)
        ),
    ],
    ids=["most-terms", "deepest-not", "deepest-nesting", "most-values"],
)
def test_the_largest_query_allowed_runs_on_every_backend(
    service: TrackingService, text: str, order_by: str
) -> None:
    parse_filter(text)  # within every bound
    page = service.search_runs(LOCAL_OWNER, PROJECT, filter=text, order_by=order_by, limit=1)
    assert page.next_page_token is not None
    service.search_runs(
        LOCAL_OWNER, PROJECT, filter=text, order_by=order_by, limit=1,
        page_token=page.next_page_token,
    )  # fmt: skip


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_store_limit_reached_anyway_says_too_complex(
    service: TrackingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lift the parser's bound so SQLite's parser stack overflows: the answer must
    # still say the search is too complex, not that the folder may be unwritable.
    from shipyard.tracking.query import parser

    monkeypatch.setattr(parser, "MAX_DEPTH", 1_000)
    with pytest.raises(InvalidInput, match="too complex for the metadata store") as caught:
        service.search_runs(LOCAL_OWNER, PROJECT, filter=_nested(60))
    assert "writable" not in str(caught.value) + str(caught.value.hint)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgresqls_parameter_limit_reached_anyway_says_too_complex(
    service: TrackingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipyard.tracking.query import parser

    monkeypatch.setattr(parser, "MAX_LIST_VALUES", 10**6)
    monkeypatch.setattr(limits, "MAX_CHARS", 10**7)
    values = ", ".join(str(i) for i in range(70_000))
    with pytest.raises(InvalidInput, match="too complex for the metadata store"):
        service.search_runs(LOCAL_OWNER, PROJECT, filter=f"cost in ({values})")


def test_over_http_a_huge_filter_is_400_naming_the_bound(client: TestClient, team: Team) -> None:
    answer = client.post(
        f"/api/v1/projects/{PROJECT}/runs/search", json={"filter": HUGE},
        headers=team.headers("viewer"),
    )  # fmt: skip
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "InvalidInput"
    assert error["message"] == "the filter is too complex (3,000 terms; at most 200)"
