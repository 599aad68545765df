"""``--executor ray`` on a real local Ray instance (Ray lives in tests/tools/.venv-ray).

Ray is an optional extra (``shipyard[ray]``), never a dependency: the pipeline runs in a
subprocess of that venv, and this process reads what it recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from shipyard.context import open_context
from shipyard.tracking.entities import RunStatus

VENV = Path(__file__).resolve().parents[1] / "tools" / ".venv-ray"
REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import json
from shipyard.pipelines import run_pipeline
from tests.pipelines.flows import arithmetic, hanging, tables

answers = {}
for name, pipeline, params in [
    ("arithmetic", arithmetic, {"n": 6, "scale": 2.0}),
    ("tables", tables, {"n": 20}),
    ("hanging", hanging, {"seconds": 600.0}),
]:
    result = run_pipeline(pipeline, params, executor="ray", max_parallel=2)
    answers[name] = {
        "run_id": result.run_id,
        "status": result.status.value,
        "states": {node: r.state for node, r in result.steps.items()},
        "errors": {node: r.error for node, r in result.steps.items() if r.error},
        "first": result.value(next(iter(result.steps))) if result.status.value == "finished"
        and name == "arithmetic" else None,
    }
print("ANSWER " + json.dumps(answers))
"""


@pytest.mark.slow
def test_steps_run_as_ray_tasks_with_the_same_cache_and_tracking(workspace: Path) -> None:
    if not (VENV / "bin" / "python").exists():
        pytest.skip(f"Ray's venv {VENV} is absent: run scripts/checkers")
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_ADDRESS": "", "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", SCRIPT],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("ANSWER ")]
    assert done.returncode == 0, done.stderr[-3000:]
    assert lines, done.stdout[-3000:]
    answers = json.loads(lines[0].removeprefix("ANSWER "))
    assert answers["arithmetic"]["states"] == {"numbers": "finished", "total": "finished"}
    assert answers["arithmetic"]["first"] == [0, 1, 2, 3, 4, 5]
    assert answers["tables"]["status"] == "finished"
    assert answers["hanging"]["states"] == {"stuck": "failed"}
    assert "Ray task was cancelled" in answers["hanging"]["errors"]["stuck"]
    with open_context() as ctx:  # recorded in the workspace, as the local executor does
        run = ctx.tracking.get_run(answers["arithmetic"]["run_id"]).run
        assert run.status is RunStatus.FINISHED
        children = ctx.tracking.search_runs(filter=f"parent_id = '{run.id}'").runs
        assert sorted(child.name for child in children) == ["numbers", "total"]
        from shipyard.pipelines.runner import run_pipeline
        from tests.pipelines.flows import arithmetic

        again = run_pipeline(arithmetic, {"n": 6, "scale": 2.0}, context=ctx, max_parallel=1)
        assert {r.state for r in again.steps.values()} == {"cached"}  # Ray's outputs, reused here
