"""Values the store refuses are never dropped silently: counted, spooled, the run failed.

Embedded and against a team server alike (the server-down cases are in
tests/tracking/test_spool_sync.py and test_exit_spool.py).
"""

from __future__ import annotations

import json

import pytest

import shipyard
from shipyard.runs import get_run
from shipyard.tracking.entities import LogBatch, RunStatus
from tests.contracts.sdk_modes import Mode


def test_a_refused_batch_fails_the_run_and_is_kept_for_inspection(
    mode: Mode, capsys: pytest.CaptureFixture[str]
) -> None:
    run = shipyard.start_run(mode.unique("refused"), "r", context=mode.context)
    run.log_metric("loss", 0.5)
    run.flush()
    # Another process sets the param first; this one's batch is refused as a whole.
    run.backend.log_batch(LogBatch(params=[(run.id, "C", "2")]), None)
    run.log_param("C", 1)
    run.end()  # meant: finished

    assert run.status is RunStatus.FAILED
    stored = get_run(run.id, context=mode.context).run
    assert stored.status is RunStatus.FAILED
    assert stored.params == {"C": "2"}
    assert stored.metrics["loss"].value == 0.5  # the other values are stored
    spool = mode.root / ".shipyard" / "spool" / f"{run.id}.jsonl"
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1
    assert f"run {run.id} ended as failed: 1 refused" in warning[0]
    assert "cannot change" in warning[0]
    assert str(spool) in warning[0]
    records = [json.loads(line) for line in spool.read_text().splitlines()]
    assert [r.get("refused", "") is not None for r in records[1:]] == [True]
    assert records[1]["batch"]["params"] == [[run.id, "C", "1"]]

    listed = mode.cli("runs", "sync")
    assert listed.exit_code == 1  # something is left
    assert "1 refused" in listed.output
    assert spool.exists()  # kept for inspection
    dropped = mode.cli("runs", "sync", "--discard-refused", "--json")
    assert dropped.exit_code == 0, dropped.output
    assert json.loads(dropped.stdout)[0]["refused_values"] == 1
    assert not spool.exists()
    assert mode.cli("runs", "sync").exit_code == 0  # nothing left


def test_a_run_whose_values_are_all_stored_leaves_no_spool(mode: Mode) -> None:
    with shipyard.start_run(mode.unique("clean"), "r", context=mode.context) as run:
        for step in range(50):
            run.log_metric("loss", float(step))
    assert get_run(run.id, context=mode.context).run.status is RunStatus.FINISHED
    assert not (mode.root / ".shipyard" / "spool").exists()
