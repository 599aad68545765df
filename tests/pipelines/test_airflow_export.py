"""``shipyard pipeline export airflow``, checked by a real Apache Airflow 3 (its own venv).

The exported DAG must parse without import errors, and ``airflow dags test`` must run
it: each task runs its step through Shipyard, visible afterwards in the workspace.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from shipyard.context import open_context
from shipyard.tracking.entities import RunStatus

VENV = Path(__file__).resolve().parents[1] / "tools" / ".venv-airflow"
REPO = Path(__file__).resolve().parents[2]
FLOWS = "tests.pipelines.flows"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (VENV / "bin" / "airflow").exists():
        pytest.skip(f"Airflow's venv {VENV} is absent: run scripts/checkers")
    home = tmp_path_factory.mktemp("airflow")
    done = _airflow(home, home / "dags", "db", "migrate")
    assert done.returncode == 0, done.stderr[-3000:]
    return home


def _airflow(home: Path, dags: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [str(VENV / "bin" / "airflow"), *args],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


PARSE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(sys.argv[1])
print("PARSED " + json.dumps({"dags": sorted(bag.dag_ids), "errors": bag.import_errors}))
"""


def _parsed(home: Path, dags: Path) -> object:
    """What Airflow's own DAG parser makes of the folder: DAG ids and import errors."""
    env = {**os.environ, "AIRFLOW_HOME": str(home), "PYTHONPATH": str(REPO),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}  # fmt: skip
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", PARSE, str(dags)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("PARSED ")]
    assert lines, (done.stdout + done.stderr)[-3000:]
    return json.loads(lines[-1].removeprefix("PARSED "))


@pytest.mark.slow
def test_the_exported_dag_runs_each_step_through_shipyard(
    workspace: Path, cli: Callable[..., Result], airflow_home: Path
) -> None:
    dags = workspace / "dags"
    exported = cli("pipeline", "export", "airflow", f"{FLOWS}:arithmetic", "-o", str(dags),
                   "--param", "n=5")  # fmt: skip
    assert exported.exit_code == 0, exported.output
    source = (dags / "shipyard_arithmetic.py").read_text()
    assert "from airflow.sdk import DAG" in source
    assert _parsed(airflow_home, dags) == {"dags": ["shipyard_arithmetic"], "errors": {}}
    ran = _airflow(airflow_home, dags, "dags", "test", "shipyard_arithmetic")
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-4000:]
    with open_context() as ctx:
        [run] = ctx.tracking.search_runs(
            experiments=["arithmetic"], filter="parent_id is null"
        ).runs
        assert run.status is RunStatus.FINISHED
        assert run.tags["shipyard.pipeline.trigger"].startswith("airflow manual__")
        assert run.params == {"n": "5", "scale": "1.0"}
        children = ctx.tracking.search_runs(filter=f"parent_id = '{run.id}'").runs
        assert sorted(child.name for child in children) == ["numbers", "total"]
    again = cli("pipeline", "run", f"{FLOWS}:arithmetic", "--param", "n=5", "--json")
    assert '"total": "cached"' in again.stdout  # Airflow's step runs feed the same cache


@pytest.mark.slow
def test_a_failing_step_fails_the_dag_run_and_the_pipeline_run(
    workspace: Path, cli: Callable[..., Result], airflow_home: Path
) -> None:
    dags = workspace / "dags"
    assert cli("pipeline", "export", "airflow", f"{FLOWS}:failing", "-o", str(dags)).exit_code == 0
    ran = _airflow(airflow_home, dags, "dags", "test", "shipyard_failing")
    assert "state=failed" in ran.stdout + ran.stderr
    with open_context() as ctx:
        [run] = ctx.tracking.search_runs(experiments=["failing"], filter="parent_id is null").runs
        assert run.status is RunStatus.FAILED
