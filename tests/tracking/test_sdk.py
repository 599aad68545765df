"""The Python SDK, as a training script uses it, in a real workspace."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import shipyard
from shipyard.core.errors import Conflict, InvalidInput, NotFound, QuerySyntaxError
from shipyard.runs import get_run, metric_history
from shipyard.tracking.entities import RunSpec, RunStatus
from shipyard.tracking.limits import VALUE_MAX
from shipyard.tracking.local_backend import LocalBackend


def test_a_training_run_is_recorded(workspace: Path) -> None:
    (workspace / "train.csv").write_text("a,b\n1,2\n")
    with shipyard.start_run(experiment="churn", name="lr-baseline") as run:
        assert shipyard.active_run() is run
        run.log_params({"C": 1.0, "model": "lr"})
        for step in range(100):
            run.log_metric("loss", 1 / (step + 1))
        run.log_metrics({"accuracy": 0.93, "f1": 0.91})
        run.set_tags({"team": "growth"})
        digest = run.log_input("train.csv")
    assert shipyard.active_run() is None
    detail = get_run(run.id)
    stored = detail.run
    assert stored.status is RunStatus.FINISHED
    assert stored.experiment == "churn"
    assert stored.name == "lr-baseline"
    assert stored.params == {"C": "1.0", "model": "lr"}
    assert stored.metrics["loss"].step == 99
    assert stored.metrics["accuracy"].value == 0.93
    assert stored.tags == {"team": "growth"}
    assert [(i.path, i.size, i.digest) for i in detail.inputs] == [("train.csv", 8, digest)]
    assert len(digest) == 64
    assert stored.resources.wall_seconds > 0
    assert stored.git.branch is not None
    assert stored.git.dirty is True
    assert detail.environment is not None
    assert "shipyard" in detail.environment["packages"]
    assert len(metric_history(run.id, "loss")) == 100


def test_an_exception_marks_the_run_failed_and_still_propagates(workspace: Path) -> None:
    with pytest.raises(ZeroDivisionError), shipyard.start_run(name="boom") as run:
        run.log_metric("x", 1.0)
        _ = 1 / 0
    assert get_run(run.id).run.status is RunStatus.FAILED
    assert get_run(run.id).run.metrics["x"].value == 1.0


def test_nested_runs_and_one_active_run_at_a_time(workspace: Path) -> None:
    with shipyard.start_run(name="sweep") as parent:
        with pytest.raises(Conflict, match="still active"):
            shipyard.start_run(name="oops")
        for c in (0.1, 1.0):
            with shipyard.start_run(name=f"C={c}", nested=True) as child:
                assert shipyard.active_run() is child
                child.log_param("C", c)
        assert shipyard.active_run() is parent
    children = get_run(parent.id).children
    assert len(children) == 2
    assert all(get_run(c).run.parent_id == parent.id for c in children)


def test_resume_by_id_continues_steps_and_keeps_params(workspace: Path) -> None:
    with shipyard.start_run(name="long") as run:
        run.log_param("C", 1)
        run.log_metric("loss", 0.9)
        run.log_metric("loss", 0.8)
    with shipyard.start_run(run_id=run.id) as again:
        again.log_param("C", 1)  # same value: fine
        with pytest.raises(Conflict, match="cannot change"):
            again.log_param("C", 2)
        again.log_metric("loss", 0.7)
    points = metric_history(run.id, "loss")
    assert [(p.step, p.value) for p in points] == [(0, 0.9), (1, 0.8), (2, 0.7)]
    assert get_run(run.id).run.status is RunStatus.FINISHED


def test_bad_input_fails_at_the_call_that_gave_it(workspace: Path) -> None:
    with shipyard.start_run(name="bad") as run:
        with pytest.raises(InvalidInput, match="must be a number, not str"):
            run.log_metric("acc", "high")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="must be a number"):
            run.log_metric("acc", None)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="the limit is 8,000"):
            run.log_param("blob", "x" * (VALUE_MAX + 1))
        with pytest.raises(InvalidInput, match="invalid metric name"):
            run.log_metric("", 1.0)
        with pytest.raises(InvalidInput, match="does not exist"):
            run.log_input("missing.parquet")
        run.log_metric("nan", math.nan)
        run.log_metric("inf", math.inf)
    stored = get_run(run.id).run
    assert math.isnan(stored.metrics["nan"].value)
    assert stored.metrics["inf"].value == math.inf
    assert set(stored.metrics) == {"nan", "inf"}


def test_logging_to_a_finished_run_is_refused(workspace: Path) -> None:
    with shipyard.start_run(name="done") as run:
        run.log_metric("x", 1.0)
    for log in (lambda: run.log_metric("x", 2.0), lambda: run.log_param("p", 1)):
        with pytest.raises(Conflict, match="has ended"):
            log()
    run.end()  # ending again is harmless
    assert get_run(run.id).run.metrics["x"].value == 1.0


def test_unknown_run_ids_are_not_found(workspace: Path) -> None:
    with pytest.raises(NotFound):
        get_run("0" * 26)
    with pytest.raises(NotFound):
        shipyard.start_run(run_id="0" * 26)


def test_search_runs_returns_a_dataframe(workspace: Path) -> None:
    for i, model in enumerate(["lr", "rf", "lr"]):
        with shipyard.start_run(experiment="churn", name=f"r{i}") as run:
            run.log_params({"model": model})
            run.log_metrics({"accuracy": 0.8 + i / 20, "f1": 0.5 + i / 10})
    frame = shipyard.search_runs(
        "churn", filter="metrics.accuracy > 0.8 and params.model = 'lr'", order_by="metrics.f1 desc"
    )
    assert list(frame["name"]) == ["r2"]
    assert frame["metrics.f1"].dtype == "float64"
    assert {"run_id", "status", "cost", "params.model", "metrics.accuracy"} <= set(frame.columns)
    everything = shipyard.search_runs(max_results=2)
    assert len(everything) == 2
    with pytest.raises(QuerySyntaxError):
        shipyard.search_runs(filter="metrics.accuracy >")


def test_batch_logging_writes_every_value(workspace: Path) -> None:
    with shipyard.start_run(name="batch") as run:
        run.log_batch(
            [("loss", 1 / (i + 1), i) for i in range(5000)],
            params={"lr": 0.01},
            tags={"kind": "batch"},
        )
        with pytest.raises(InvalidInput, match="each metric of a batch"):
            run.log_batch([("only-key",)])
    assert len(metric_history(run.id, "loss")) == 5000
    assert get_run(run.id).run.params == {"lr": "0.01"}


def test_a_run_started_by_shipyard_run_is_joined_not_duplicated(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside ``shipyard run -- …`` the script's start_run logs into the wrapper's run."""
    with shipyard.open_context() as ctx:
        backend = LocalBackend(ctx)
        wrapper = backend.create_run(RunSpec(experiment="default", name="wrapper"))
        monkeypatch.setenv("SHIPYARD_RUN_ID", wrapper.id)
        with shipyard.start_run(name="ignored") as inner:
            assert inner.id == wrapper.id
            inner.log_metric("acc", 0.5)
        stored = backend.get_run(wrapper.id).run
    # the script ending does not end the wrapper's run: the wrapper records how it ended
    assert stored.status is RunStatus.RUNNING
    assert stored.metrics["acc"].value == 0.5
