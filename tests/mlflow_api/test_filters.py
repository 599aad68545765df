"""MLflow's search filters become Shipyard queries that the query parser accepts."""

from __future__ import annotations

import pytest

from shipyard.mlflow_api.filters import mlflow_filter, mlflow_order_by
from shipyard.tracking.query import parse_filter, parse_order_by


@pytest.mark.parametrize(
    ("mlflow", "shipyard"),
    [
        ("metrics.rmse < 1 and params.model = 'lr'", "metrics.rmse < 1 and params.model = 'lr'"),
        ("attributes.run_name = 'lr'", "name = 'lr'"),
        ("attribute.status = 'FINISHED'", "status = 'finished'"),
        ("run_id = 'abc' and user_id = 'ann'", "id = 'abc' and user = 'ann'"),
        ("tags.`mlflow.runName` = 'lr'", "name = 'lr'"),
        ("params.note = 'run_name stays'", "params.note = 'run_name stays'"),
        ("tags.run_name = 'x'", "tags.run_name = 'x'"),
    ],
)
def test_mlflow_filters_read_as_shipyard_queries(mlflow: str, shipyard: str) -> None:
    assert mlflow_filter(mlflow) == shipyard
    parse_filter(mlflow_filter(mlflow))


def test_mlflow_orderings_join_into_one() -> None:
    ordering = mlflow_order_by(["metrics.m1 DESC", "attributes.start_time ASC"])
    assert ordering == "metrics.m1 DESC, attributes.start_time ASC"
    assert len(parse_order_by(ordering)) == 2
