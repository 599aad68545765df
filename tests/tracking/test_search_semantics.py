"""Differential test: the SQL a filter compiles to selects exactly the runs a plain
Python evaluation of the same filter selects."""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipyard.core.principal import LOCAL_OWNER
from shipyard.store.db import Database
from shipyard.store.migrate import upgrade
from shipyard.tracking.entities import LogBatch, Run, RunSpec
from shipyard.tracking.service import TrackingService

OPS: dict[str, Callable[[object, object], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
METRIC_VALUES = [0.0, 0.25, 0.5, 1.0, math.nan, math.inf]


@pytest.fixture(scope="module")
def populated(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TrackingService, list[Run]]]:
    folder: Path = tmp_path_factory.mktemp("semantics")
    db = Database(f"sqlite:///{folder / 'm.db'}")
    upgrade(db)
    service = TrackingService(db)
    rng = random.Random(11)
    for i in range(40):
        run_id = service.create_run(LOCAL_OWNER, "p", RunSpec(experiment="e", name=f"r{i}")).id
        metrics = [
            (run_id, key, rng.choice(METRIC_VALUES), 0, 1)
            for key in ("m0", "m1")
            if rng.random() < 0.8
        ]
        params = [(run_id, "kind", rng.choice("ab"))] if rng.random() < 0.8 else []
        if rng.random() < 0.8:
            params.append((run_id, "size", rng.choice(["1", "2.5", "10", "big"])))
        service.log(LOCAL_OWNER, LogBatch(metrics=metrics, params=params))
    runs = list(service.search_runs(LOCAL_OWNER, "p", limit=1000).runs)
    yield service, runs
    db.dispose()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


Pred = Callable[[Run], bool]

conditions = st.one_of(
    st.tuples(
        st.sampled_from(["m0", "m1"]),
        st.sampled_from(list(OPS)),
        st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    ).map(
        lambda t: (
            f"metrics.{t[0]} {t[1]} {t[2]}",
            lambda r, k=t[0], op=t[1], v=t[2]: (
                k in r.metrics
                and not math.isnan(r.metrics[k].value)
                and OPS[op](r.metrics[k].value, v)
            ),
        )
    ),
    st.tuples(st.sampled_from(["m0", "m1", "kind"]), st.booleans()).map(
        lambda t: (
            f"{'params' if t[0] == 'kind' else 'metrics'}.{t[0]} is {'not ' if t[1] else ''}null",
            lambda r, k=t[0], neg=t[1]: (k in (r.params if k == "kind" else r.metrics)) == neg,
        )
    ),
    st.tuples(st.sampled_from(["=", "!="]), st.sampled_from("abc")).map(
        lambda t: (
            f"params.kind {t[0]} '{t[1]}'",
            lambda r, op=t[0], v=t[1]: "kind" in r.params and OPS[op](r.params["kind"], v),
        )
    ),
    st.tuples(st.sampled_from(list(OPS)), st.sampled_from([1.0, 2.5, 5.0])).map(
        lambda t: (
            f"params.size {t[0]} {t[1]}",
            lambda r, op=t[0], v=t[1]: (
                _number(r.params.get("size", "x")) is not None
                and OPS[op](_number(r.params["size"]), v)
            ),
        )
    ),
)


def _combine(children: st.SearchStrategy[tuple[str, Pred]]) -> st.SearchStrategy[tuple[str, Pred]]:
    return st.one_of(
        st.tuples(children, children).map(
            lambda t: (
                f"({t[0][0]}) and ({t[1][0]})",
                lambda r, a=t[0][1], b=t[1][1]: a(r) and b(r),
            )
        ),
        st.tuples(children, children).map(
            lambda t: (f"({t[0][0]}) or ({t[1][0]})", lambda r, a=t[0][1], b=t[1][1]: a(r) or b(r))
        ),
        children.map(lambda c: (f"not ({c[0]})", lambda r, a=c[1]: not a(r))),
    )


filters = st.recursive(conditions, _combine, max_leaves=6)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=filters)
def test_sql_and_python_agree_on_which_runs_match(
    populated: tuple[TrackingService, list[Run]], case: tuple[str, Pred]
) -> None:
    service, runs = populated
    text, predicate = case
    found = service.search_runs(LOCAL_OWNER, "p", filter=text, limit=1000)
    assert {r.id for r in found.runs} == {r.id for r in runs if predicate(r)}, text
