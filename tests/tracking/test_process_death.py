"""A training process that dies keeps what it logged, and its run is marked killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import shipyard
from shipyard.runs import get_run
from shipyard.tracking.entities import RunStatus

SCRIPT = textwrap.dedent(
    """
    import sys, time
    import shipyard

    run = shipyard.start_run(experiment="crash", name="doomed")
    run.log_param("lr", 0.1)
    for step in range(500):
        run.log_metric("loss", 1.0 / (step + 1))
    print(run.id, flush=True)
    time.sleep(600)  # killed long before
    """
)


def _wait_for(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


@pytest.mark.slow
def test_sigkilled_process_keeps_its_values_and_is_marked_killed(workspace: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], cwd=workspace, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        run_id = process.stdout.readline().strip()
        # the background logger writes within a second, without any explicit flush
        _wait_for(lambda: _last_step(run_id) == 499)
        assert get_run(run_id).run.status is RunStatus.RUNNING
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    run = get_run(run_id).run
    assert run.status is RunStatus.KILLED
    assert run.end_time is not None
    assert run.params == {"lr": "0.1"}
    assert run.metrics["loss"].step == 499
    assert len(shipyard.runs.metric_history(run_id, "loss")) == 500
    killed = shipyard.search_runs(filter="status = 'killed'")
    assert list(killed["run_id"]) == [run_id]


def _last_step(run_id: str) -> int | None:
    point = get_run(run_id).run.metrics.get("loss")
    return None if point is None else point.step
