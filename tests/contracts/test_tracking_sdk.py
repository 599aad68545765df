"""Tracking through the SDK and the CLI, embedded and against a team server: the same."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import shipyard
from shipyard.core.errors import Conflict, InvalidInput, NotFound, QuerySyntaxError
from shipyard.runs import download_artifacts, get_run, metric_history
from shipyard.tracking.entities import RunStatus
from shipyard.tracking.query import parse_filter
from tests.contracts.sdk_modes import Mode


def test_a_run_end_to_end(mode: Mode) -> None:
    experiment = mode.unique("exp")
    (mode.root / "train.csv").write_text("a,b\n1,2\n")
    with shipyard.start_run(experiment, "lr", tags={"team": "growth"}, context=mode.context) as run:
        run.log_params({"C": 1.0, "model": "lr"})
        for step in range(50):
            run.log_metric("loss", 1 / (step + 1))
        run.log_metrics({"accuracy": 0.93, "val/f1": 0.91})
        run.log_batch([("nan", math.nan), ("inf", math.inf)])
        digest = run.log_input("train.csv")
    detail = get_run(run.id, context=mode.context)
    stored = detail.run
    assert stored.status is RunStatus.FINISHED
    assert (stored.experiment, stored.name, stored.project) == (experiment, "lr", mode.project)
    assert stored.params == {"C": "1.0", "model": "lr"}
    assert stored.tags == {"team": "growth"}
    assert stored.metrics["loss"].step == 49
    assert stored.metrics["val/f1"].value == 0.91
    assert math.isnan(stored.metrics["nan"].value)
    assert stored.metrics["inf"].value == math.inf
    assert [(i.path, i.size, i.digest) for i in detail.inputs] == [("train.csv", 8, digest)]
    assert detail.environment is not None
    assert "shipyard" in detail.environment["packages"]
    assert stored.resources.wall_seconds > 0
    history = metric_history(run.id, "loss", context=mode.context)
    assert [p.step for p in history] == list(range(50))
    assert history[-1].value == 1 / 50
    assert stored.created_by == ("contributor" if mode.remote else "local")


def test_search_filters_orders_and_pages(mode: Mode) -> None:
    experiment = mode.unique("search")
    for i, model in enumerate(["lr", "rf", "lr", "xgb", "lr"]):
        with shipyard.start_run(experiment, f"r{i}", context=mode.context) as run:
            run.log_params({"model": model})
            run.log_metrics({"accuracy": 0.8 + i / 100, "f1": 0.5 + i / 10})
    frame = shipyard.search_runs(
        experiment, filter="metrics.accuracy > 0.805 and params.model = 'lr'",
        order_by="metrics.f1 desc", context=mode.context,
    )  # fmt: skip
    assert list(frame["name"]) == ["r4", "r2"]
    assert len(shipyard.search_runs(experiment, max_results=3, context=mode.context)) == 3
    from shipyard.tracking.session import sdk

    backend, _ = sdk.backend(mode.context)
    first = backend.search_runs(experiments=[experiment], order_by="name", limit=2)
    second = backend.search_runs(
        experiments=[experiment], order_by="name", limit=2, page_token=first.next_page_token
    )
    assert [r.name for r in first.runs + second.runs] == ["r0", "r1", "r2", "r3"]
    experiments = {e.name: e for e in backend.list_experiments()}
    assert experiments[experiment].run_count == 5


def test_a_filter_error_comes_back_with_its_carets(mode: Mode) -> None:
    query = "metrics.accuracy > and params.model = 'lr'"
    with pytest.raises(QuerySyntaxError) as local:
        parse_filter(query)
    with pytest.raises(QuerySyntaxError) as caught:
        shipyard.search_runs(filter=query, context=mode.context)
    assert caught.value.message == local.value.message
    assert caught.value.details() == local.value.details()
    result = mode.cli("runs", "ls", "--filter", query)
    assert result.exit_code == 2
    assert "expected a value after '>'" in result.stderr
    assert "                   ^^^" in result.stderr


def test_sql_in_a_filter_is_only_a_value(mode: Mode) -> None:
    experiment = mode.unique("sql")
    with shipyard.start_run(experiment, "r", context=mode.context) as run:
        run.log_param("model", "lr")
    for hostile in ("x' OR '1'='1", "lr'; DROP TABLE runs; --", "%' OR 1=1 --"):
        quoted = hostile.replace("'", "''")
        frame = shipyard.search_runs(
            experiment, filter=f"params.model = '{quoted}'", context=mode.context
        )
        assert frame.empty
    assert len(shipyard.search_runs(experiment, context=mode.context)) == 1


def test_the_same_mistakes_raise_the_same_errors(mode: Mode) -> None:
    with shipyard.start_run(mode.unique("errors"), "r", context=mode.context) as run:
        run.log_param("C", 1)
        with pytest.raises(Conflict, match="cannot change"):
            run.log_param("C", 2)
        with pytest.raises(InvalidInput, match="must be a number"):
            run.log_metric("acc", "high")  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="has ended"):
        run.log_metric("x", 1.0)
    with pytest.raises(NotFound):
        get_run("0" * 26, context=mode.context)
    with pytest.raises(NotFound):
        shipyard.start_run(run_id="0" * 26, context=mode.context)


def test_resume_and_nested_runs(mode: Mode) -> None:
    experiment = mode.unique("nested")
    with (
        shipyard.start_run(experiment, "sweep", context=mode.context) as parent,
        shipyard.start_run(name="trial", nested=True, context=mode.context) as child,
    ):
        child.log_metric("loss", 0.9)
    with shipyard.start_run(run_id=child.id, context=mode.context) as again:
        again.log_metric("loss", 0.7)
    assert get_run(parent.id, context=mode.context).children == (child.id,)
    points = metric_history(child.id, "loss", context=mode.context)
    assert [(p.step, p.value) for p in points] == [(0, 0.9), (1, 0.7)]


def test_artifacts_upload_and_download(mode: Mode, tmp_path: Path) -> None:
    (mode.root / "weights.bin").write_bytes(b"weights" * 1000)
    plots = mode.root / "plots"
    (plots / "deep").mkdir(parents=True)
    (plots / "loss.svg").write_text("<svg/>")
    (plots / "deep" / "roc.svg").write_text("<svg>roc</svg>")
    with shipyard.start_run(mode.unique("art"), "r", context=mode.context) as run:
        # MLflow's convention: the second argument is the folder inside the run.
        (record,) = run.log_artifact(mode.root / "weights.bin", "model")
        run.log_artifacts(plots, "plots")
        with pytest.raises(InvalidInput, match=r"'\.\./escape' is not a plain relative path"):
            run.log_artifact(mode.root / "weights.bin", "../escape")
    artifacts = {a.path: a for a in get_run(run.id, context=mode.context).artifacts}
    assert set(artifacts) == {"model/weights.bin", "plots/loss.svg", "plots/deep/roc.svg"}
    assert artifacts["model/weights.bin"].digest == record.digest
    written = download_artifacts(run.id, tmp_path / "out", context=mode.context)
    assert len(written) == 3
    assert (tmp_path / "out" / "plots" / "deep" / "roc.svg").read_text() == "<svg>roc</svg>"
    assert (tmp_path / "out" / "model" / "weights.bin").read_bytes() == b"weights" * 1000


def test_the_cli_reads_runs_the_same_way(mode: Mode) -> None:
    experiment = mode.unique("cli")
    with shipyard.start_run(experiment, "r", context=mode.context) as run:
        run.log_metrics({"accuracy": 0.9})
    listed = mode.cli("runs", "ls", "-e", experiment, "--json")
    assert listed.exit_code == 0, listed.output
    assert [r["id"] for r in json.loads(listed.stdout)["runs"]] == [run.id]
    shown = mode.cli("runs", "show", run.id[:10], "--json")
    assert json.loads(shown.stdout)["metrics"] == {"accuracy": 0.9}
    history = mode.cli("runs", "history", run.id, "accuracy", "--json")
    assert [p["value"] for p in json.loads(history.stdout)] == [0.9]
    experiments = mode.cli("experiments", "ls", "--json")
    assert experiment in [e["name"] for e in json.loads(experiments.stdout)]
    deleted = mode.cli("runs", "delete", run.id, "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert mode.cli("runs", "show", run.id).exit_code == 2


def test_shipyard_run_records_a_command(mode: Mode) -> None:
    experiment = mode.unique("cmd")
    result = mode.cli("run", "-e", experiment, "--param", "epochs=3", "--", "true")
    assert result.exit_code == 0, result.output
    frame = shipyard.search_runs(experiment, context=mode.context)
    assert list(frame["status"]) == ["finished"]
    assert list(frame["params.epochs"]) == ["3"]


def test_runs_written_together_and_found_by_their_lookup_tag(mode: Mode) -> None:
    from shipyard.tracking.entities import LOOKUP_TAG, RunEnd, RunOutcome, RunSpec, RunStart

    backend, experiment = mode.context.tracking, mode.unique("steps")
    parent = backend.create_run(RunSpec(experiment, "pipeline"))
    first = backend.create_run(RunSpec(experiment, "a", parent_id=parent.id))
    done = RunOutcome(RunStatus.FINISHED, params={"p": "1"}, metrics={"m": 2.0},
                      tags={"out": "A"})  # fmt: skip
    hit = RunOutcome(RunStatus.FINISHED, tags={"out": "B"})
    started = backend.write_runs(
        [RunEnd(first.id, done)],
        [
            RunStart(RunSpec(experiment, "b", parent.id, {LOOKUP_TAG: "k1"}), hit),
            RunStart(RunSpec(experiment, "c", parent.id)),
        ],
    )
    assert [(r.name, r.status) for r in started] == [
        ("b", RunStatus.FINISHED),
        ("c", RunStatus.RUNNING),
    ]
    a, b, c = backend.get_runs([first.id, started[0].id, started[1].id])
    assert (a.status, a.params, a.metrics["m"].value, a.tags["out"]) == (
        RunStatus.FINISHED, {"p": "1"}, 2.0, "A",
    )  # fmt: skip
    assert (b.status, b.parent_id, b.tags["out"]) == (RunStatus.FINISHED, parent.id, "B")
    assert c.status is RunStatus.RUNNING
    assert backend.tagged_run(experiment, "k1", "out") == (b.id, "B")
    assert backend.tagged_run(experiment, "k1", "nothing") == (b.id, None)
    assert backend.tagged_run(experiment, "k2", "out") is None
    assert backend.tagged_run(mode.unique("other"), "k1", "out") is None

    # All or nothing: ending a run that has ended refuses the whole write.
    before = len(backend.search_runs(experiments=[experiment], limit=100).runs)
    with pytest.raises(Conflict):
        backend.write_runs([RunEnd(first.id, done)], [RunStart(RunSpec(experiment, "d"), hit)])
    assert len(backend.search_runs(experiments=[experiment], limit=100).runs) == before
    with pytest.raises(InvalidInput, match="ends as finished"):
        backend.write_runs([RunEnd(c.id, RunOutcome(RunStatus.RUNNING))], [])
