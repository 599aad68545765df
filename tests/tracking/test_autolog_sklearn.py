"""``shipyard.sklearn.autolog()`` turns fits into runs with params and training metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import shipyard
import shipyard.sklearn
from shipyard.runs import get_run
from shipyard.tracking.entities import RunStatus


@pytest.fixture
def autolog() -> Iterator[None]:
    shipyard.sklearn.autolog(experiment="auto")
    yield
    shipyard.sklearn.autolog(disable=True)


def test_a_pipeline_fit_is_one_run_with_params_and_metrics(workspace: Path, autolog: None) -> None:
    X, y = make_classification(n_samples=200, random_state=0)
    make_pipeline(StandardScaler(), LogisticRegression(C=0.5)).fit(X, y)
    frame = shipyard.search_runs("auto")
    assert len(frame) == 1  # the inner steps' fits are not runs of their own
    run = get_run(frame["run_id"][0]).run
    assert run.name == "Pipeline"
    assert run.status is RunStatus.FINISHED
    assert run.params["logisticregression__C"] == "0.5"
    assert run.tags["estimator_name"] == "Pipeline"
    for key in (
        "training_accuracy_score",
        "training_f1_score",
        "training_log_loss",
        "training_roc_auc",
    ):
        assert 0 <= run.metrics[key].value <= 1 or key == "training_log_loss"
    assert run.metrics["training_accuracy_score"].value > 0.8


def test_fits_log_into_the_active_run(workspace: Path, autolog: None) -> None:
    X, y = make_regression(n_samples=100, n_features=3, noise=0.1, random_state=0)
    with shipyard.start_run(experiment="manual", name="mine") as run:
        LinearRegression().fit(X, y)
    stored = get_run(run.id).run
    assert stored.metrics["training_r2_score"].value > 0.99
    assert "training_root_mean_squared_error" in stored.metrics
    assert stored.params["fit_intercept"] == "True"
    assert list(shipyard.search_runs()["run_id"]) == [run.id]  # no run of its own


def test_a_failing_fit_marks_its_run_failed(workspace: Path, autolog: None) -> None:
    with pytest.raises(ValueError):
        LogisticRegression().fit([[1.0], [2.0]], [0, 0])  # one class only
    frame = shipyard.search_runs("auto")
    assert list(frame["status"]) == ["failed"]


def test_disabling_restores_plain_fits(workspace: Path) -> None:
    shipyard.sklearn.autolog()
    shipyard.sklearn.autolog(disable=True)
    LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    assert shipyard.active_run() is None
    assert shipyard.search_runs().empty


def test_inherited_fits_are_logged_and_helpers_are_not(workspace: Path, autolog: None) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import f1_score

    X, y = make_classification(n_samples=100, random_state=0)
    with shipyard.start_run(experiment="manual") as run:
        forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)  # BaseForest.fit
        f1_score(y, forest.predict(X))  # fits a LabelEncoder inside: not a model of the run
        StandardScaler().fit(X)
    stored = get_run(run.id).run
    assert stored.params["n_estimators"] == "5"
    assert stored.tags["estimator_name"] == "RandomForestClassifier"
    assert "training_accuracy_score" in stored.metrics
