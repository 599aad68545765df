"""The real MLflow client, unchanged, against a Shipyard team server and against
``mlflow server``: it reads back the same things, and Shipyard's SDK sees what it logged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import shipyard
import shipyard.runs
from shipyard.auth.service import AuthService
from shipyard.context import Context
from shipyard.core.errors import UntrustedModel
from shipyard.core.principal import LOCAL_OWNER
from shipyard.registry.service import RegistryService
from tests.mlflow_api.peers import SCRIPT, mlflow_server, peer_python, run_mlflow
from tests.serverkit import PROJECT, TeamServer

pytestmark = pytest.mark.slow

COMPARED = ("run_name", "status", "params", "metrics", "tags", "history", "artifacts", "plots",
            "notes", "dataset", "version", "alias_version", "alias_name", "prediction")  # fmt: skip


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    peer_python()
    yield from mlflow_server(tmp_path_factory.mktemp("mlflow-server"))


@pytest.fixture(scope="module")
def logged(team_server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the script read back from the Shipyard server (as the project's maintainer)."""
    folder = tmp_path_factory.mktemp("mlflow-client")
    return run_mlflow(SCRIPT, team_server.url, team_server.team.tokens["maintainer"],
                      str(folder), cwd=folder)  # fmt: skip


@pytest.fixture
def ctx(team_server: TeamServer) -> Iterator[Context]:
    """A client of the team server, as the project's maintainer."""
    context = team_server.context("maintainer")
    yield context
    context.close()


def test_the_script_reads_back_what_mlflow_server_gives(
    logged: dict[str, Any], mlflow_url: str, tmp_path: Path
) -> None:
    theirs = run_mlflow(SCRIPT, mlflow_url, None, str(tmp_path), cwd=tmp_path)
    for field in COMPARED:
        assert logged[field] == theirs[field], field
    assert logged["searched"] == [logged["run_id"]]
    assert theirs["searched"] == [theirs["run_id"]]


def test_what_mlflow_logged_is_in_shipyard(
    logged: dict[str, Any], team_server: TeamServer, ctx: Context
) -> None:
    detail = shipyard.runs.get_run(logged["run_id"], context=ctx)
    run = detail.run
    assert (run.project, run.experiment, run.name, run.status.value) == (
        PROJECT, "churn-mlflow", "lr", "finished")  # fmt: skip
    assert dict(run.params) == {"C": "0.5", "solver": "lbfgs", "max_iter": "50"}
    assert {k: m.value for k, m in run.metrics.items()} == {
        "loss": 0.2,
        "accuracy": 0.83,
        "f1": 0.8,
    }
    assert run.tags["team"] == "growth"
    paths = {a.path for a in detail.artifacts}
    assert {"notes.txt", "plots/a.txt", "plots/b.txt"} <= paths
    assert [i.path for i in detail.inputs] == ["mlflow-dataset:train"]
    steps = [(p.step, p.value) for p in shipyard.runs.metric_history(run.id, "loss", context=ctx)]
    assert steps == [(0, 1.0), (1, 0.5), (2, 1 / 3), (3, 0.25), (4, 0.2)]

    version = RegistryService(team_server.database).list_versions(LOCAL_OWNER, PROJECT,
                                                                  "churn-model")[0]  # fmt: skip
    assert (version.version, version.flavor, version.run_id, version.aliases) == (
        1, "mlflow", run.id, ("champion",))  # fmt: skip
    assert "MLmodel" in {f.path for f in version.files}


def test_a_model_mlflow_logged_loads_only_when_trusted(
    logged: dict[str, Any], ctx: Context
) -> None:
    with pytest.raises(UntrustedModel, match="as MLflow wrote it"):
        shipyard.load_model("models:/churn-model@champion", context=ctx)
    model = shipyard.load_model("models:/churn-model@champion", trusted=True, context=ctx)
    assert list(model.predict([[0.0, 1.0], [1.0, 0.0]])) == [0, 1]


def test_mlflow_calls_are_audited(logged: dict[str, Any], team_server: TeamServer) -> None:
    entries = AuthService(team_server.database).audit_entries(LOCAL_OWNER, who="maintainer",
                                                              limit=1000)  # fmt: skip
    actions = {(e.action, e.target) for e in entries}
    assert ("run.start", f"run:{logged['run_id']}") in actions
    assert ("run.end", f"run:{logged['run_id']}") in actions
    assert any(a == "experiment.create" for a, _ in actions)
    assert ("model.alias.set", "model:churn-model@champion") in actions


ROLES = """
import json, sys, mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
out = {}
def code(call):
    try:
        call()
        return "ok"
    except MlflowException as exc:
        return exc.error_code
client = MlflowClient()
out["alias"] = code(lambda: client.set_registered_model_alias("churn-model", "rogue", "1"))
out["read"] = code(lambda: client.get_model_version_by_alias("churn-model", "champion"))
out["start"] = code(lambda: mlflow.set_experiment(sys.argv[1]))
print(json.dumps(out))
"""


def test_roles_apply_to_mlflow_calls(
    logged: dict[str, Any], team_server: TeamServer, tmp_path: Path
) -> None:
    tokens = team_server.team.tokens
    contributor = run_mlflow(ROLES, team_server.url, tokens["contributor"], "new-1", cwd=tmp_path)
    assert contributor == {"alias": "PERMISSION_DENIED", "read": "ok", "start": "ok"}
    viewer = run_mlflow(ROLES, team_server.url, tokens["viewer"], "new-2", cwd=tmp_path)
    assert viewer == {"alias": "PERMISSION_DENIED", "read": "ok", "start": "PERMISSION_DENIED"}
    nobody = run_mlflow(ROLES, team_server.url, "shy_not_a_token", "new-3", cwd=tmp_path)
    assert set(nobody.values()) == {"UNAUTHENTICATED"}
