"""``shipyard migrate mlflow``: stores made by the real MLflow client, imported and compared.

The expected side is what MLflow's own client reads back from the store
(tests/migrate/mlflow_store.py, run in bench/.venv-peers); the actual side is
what Shipyard's SDK reads after the import.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

import shipyard
from shipyard.core.errors import UntrustedModel
from shipyard.runs import metric_history
from tests.migrate.checks import X, assert_runs_equal, imported

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("kind", ["sqlite", "folder"])
def test_every_field_of_every_run_arrives(
    kind: str, stores: dict[str, Any], workspace: Path, cli: Callable[..., Result]
) -> None:
    uri, expected = stores[kind]
    result = cli("migrate", "mlflow", uri)
    assert result.exit_code == 0, result.output
    assert "imported 3 runs (0 already there) in 3 experiments" in result.output
    runs = imported(shipyard.open_context(workspace))
    assert_runs_equal(shipyard.open_context(workspace), runs, expected)
    # MLflow 3 keeps logged models apart from the run: their files come along too
    trained = runs[next(r["run_id"] for r in expected["runs"] if r["name"] == "train-0")]
    assert any(
        a.path.startswith("mlflow-models/") and a.path.endswith("/MLmodel")
        for a in trained.artifacts
    )


@pytest.mark.parametrize("kind", ["sqlite", "folder"])
def test_model_versions_arrive_as_mlflow_wrote_them_and_load_only_trusted(
    kind: str, stores: dict[str, Any], workspace: Path, cli: Callable[..., Result]
) -> None:
    uri, expected = stores[kind]
    assert cli("migrate", "mlflow", uri).exit_code == 0
    (model,) = expected["models"]
    ctx = shipyard.open_context()
    versions = ctx.registry.list_versions(ctx.principal, ctx.project, model["name"])
    by_mlflow = {v.description.split("\n")[0].rsplit(" ", 1)[1]: v for v in versions}
    assert len(versions) == len(model["versions"])
    runs = imported(shipyard.open_context(workspace))
    for number, run_id in model["versions"]:
        version = by_mlflow[str(number)]
        assert version.flavor == "mlflow"
        assert {"MLmodel", "shipyard-model.json"} <= {f.path for f in version.files}
        assert version.run_id == runs[run_id].run.id  # lineage: the imported run
        uri_of = f"models:/{model['name']}/{version.version}"
        with pytest.raises(UntrustedModel, match="not in a safe format"):
            shipyard.load_model(uri_of)
        loaded = shipyard.load_model(uri_of, trusted=True)
        assert loaded.predict(X).tolist() == model["predictions"][str(number)]
    for alias, number in model["aliases"].items():
        assert alias in by_mlflow[str(number)].aliases


def test_convert_turns_skops_models_safe_and_keeps_pickles_as_written(
    stores: dict[str, Any], workspace: Path, cli: Callable[..., Result]
) -> None:
    uri, expected = stores["sqlite"]
    result = cli("migrate", "mlflow", uri, "--convert")
    assert result.exit_code == 0
    assert "churn-model version 2 is a pickle: kept as MLflow wrote it" in result.output
    (model,) = expected["models"]
    ctx = shipyard.open_context()
    versions = {
        v.version: v for v in ctx.registry.list_versions(ctx.principal, ctx.project, "churn-model")
    }
    assert (versions[1].flavor, versions[2].flavor) == ("sklearn", "mlflow")
    safe = shipyard.load_model("models:/churn-model@champion")  # no trust needed
    assert safe.predict(X).tolist() == model["predictions"]["1"]


def test_convert_with_trust_converts_pickles_too(
    stores: dict[str, Any], workspace: Path, cli: Callable[..., Result]
) -> None:
    uri, _ = stores["folder"]
    assert cli("migrate", "mlflow", uri, "--convert", "--trust").exit_code == 0
    ctx = shipyard.open_context()
    versions = ctx.registry.list_versions(ctx.principal, ctx.project, "churn-model")
    assert {v.flavor for v in versions} == {"sklearn"}


def test_a_second_import_adds_nothing(
    stores: dict[str, Any], workspace: Path, cli: Callable[..., Result]
) -> None:
    uri, expected = stores["sqlite"]
    assert cli("migrate", "mlflow", uri).exit_code == 0
    again = cli("migrate", "mlflow", uri, "--json")
    assert again.exit_code == 0
    counts = json.loads(again.stdout)
    assert (counts["runs"], counts["runs_skipped"], counts["metrics"]) == (0, 3, 0)
    assert (counts["versions"], counts["versions_skipped"], counts["aliases"]) == (0, 2, 0)
    assert len(imported(shipyard.open_context(workspace))) == len(expected["runs"])


def test_an_import_cut_short_by_a_corrupt_file_resumes(
    stores: dict[str, Any], workspace: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    uri, expected = stores["folder"]
    copy = tmp_path / "mlruns"
    shutil.copytree(uri, copy)
    (loss,) = [m.parent / "metrics" / "loss" for m in copy.glob("*/*/meta.yaml")
               if "run_name: train-1" in m.read_text()]  # fmt: skip
    intact = loss.read_bytes()
    loss.write_bytes(intact + b"not a metric line\n")
    failed = cli("migrate", "mlflow", str(copy))
    assert failed.exit_code != 0
    lines = intact.count(b"\n")
    assert f"metrics/loss, line {lines + 1}: not 'timestamp value step'" in failed.output
    assert "Traceback" not in failed.output
    loss.write_bytes(intact)
    again = json.loads(cli("migrate", "mlflow", str(copy), "--json").stdout)
    # train-0 was complete and is kept; train-1 and what followed are imported now
    assert again["runs"] >= 1
    assert again["runs_skipped"] >= 1
    assert again["runs"] + again["runs_skipped"] == len(expected["runs"])
    runs = imported(shipyard.open_context(workspace))
    assert len(runs) == len(expected["runs"])  # the half-imported run was replaced
    redone = next(r for r in runs.values() if r.run.name == "train-1")
    assert redone.run.status.value == "finished"
    want = next(r for r in expected["runs"] if r["name"] == "train-1")["metrics"]["loss"]
    assert len(metric_history(redone.run.id, "loss")) == len(want) == lines
