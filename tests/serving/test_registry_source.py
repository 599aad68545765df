"""``shipyard serve models:/churn@production``: registry versions served and hot-reloaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

import shipyard
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.models.source import open_source
from shipyard.serving.options import ServeOptions
from tests.serving.conftest import Data, Server, wait_for


@pytest.fixture
def registered(workspace: Path, data: Data, cli: Callable[..., Result]) -> None:
    """Two versions of ``churn`` (1: logistic, 2: always 7), production → 1."""
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    with shipyard.start_run(experiment="churn", name="v1") as run:
        model = LogisticRegression(max_iter=2000).fit(data.frame, data.labels)
        run.log_model(model, "churn", input_example=data.frame.head(20))
    with shipyard.start_run(experiment="churn", name="v2") as run:
        constant = DummyClassifier(strategy="constant", constant=7)
        constant.fit(data.frame, data.labels * 0 + 7)
        run.log_model(constant, "churn", input_example=data.frame.head(20))
    assert cli("models", "alias", "set", "churn", "production", "1").exit_code == 0


@pytest.mark.slow
def test_serve_follows_the_alias(
    registered: None, serve: Callable[..., Server], data: Data, cli: Callable[..., Result]
) -> None:
    server = serve(ServeOptions(models=("models:/churn@production",), poll_s=0.1, preload=True))
    body = {"dataframe_split": data.split(0, 2)}
    first = server.client.post("/invocations", json=body)
    assert first.status_code == 200, first.text
    assert first.headers["x-model-version"] == "1"
    assert cli("models", "alias", "set", "churn", "production", "2").exit_code == 0
    wait_for(lambda: server.client.post("/invocations", json=body).headers["x-model-version"]
             == "2")  # fmt: skip
    assert server.client.post("/invocations", json=body).json()["predictions"] == [7, 7]


def test_sources_resolve_versions_and_refuse_what_does_not_exist(registered: None) -> None:
    pinned = open_source("models:/churn/2")
    assert pinned.current_version() == "2"
    resolved = pinned.resolve()
    assert (resolved.path / "shipyard-model.json").is_file()
    assert open_source("models:/churn@latest").current_version() == "2"
    assert open_source("models:/churn@production").alias("staging").reference == (
        "models:/churn@staging"
    )
    with pytest.raises(NotFound, match="points at no version"):
        open_source("models:/churn@staging").current_version()
    with pytest.raises(NotFound):
        open_source("models:/nope@production").current_version()
    with pytest.raises(InvalidInput):
        open_source("models:/churn@")
