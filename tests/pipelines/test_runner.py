"""Running pipelines in worker processes: cache, retries, timeouts, failures, tracking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from shipyard.context import open_context
from shipyard.core.digest import Digest
from shipyard.pipelines import run_pipeline
from shipyard.pipelines.record import Recorder
from shipyard.tracking.entities import RunStatus
from tests.pipelines.flows import (
    arithmetic,
    counting,
    failing,
    hanging,
    marked,
    retrying,
    tables,
    talking,
    unstorable,
)


def _states(result: object) -> dict[str, str]:
    return {node: r.state for node, r in result.steps.items()}  # type: ignore[attr-defined]


def test_steps_run_in_workers_and_are_tracked_as_child_runs(workspace: Path) -> None:
    with open_context() as ctx:
        result = run_pipeline(arithmetic, {"n": 10, "scale": 2.0}, context=ctx, max_parallel=1)
        assert result.status is RunStatus.FINISHED
        assert _states(result) == {"numbers": "finished", "total": "finished"}
        assert result.value("numbers") == list(range(10))
        assert result.value("total") == 90.0
        children = ctx.tracking.search_runs(
            experiments=["arithmetic"], filter=f"parent_id = '{result.run_id}'"
        ).runs
        assert sorted(run.name for run in children) == ["numbers", "total"]
        assert all(run.status is RunStatus.FINISHED for run in children)
        parent = ctx.tracking.get_run(result.run_id).run
        assert parent.params == {"n": "10", "scale": "2.0"}
        assert parent.tags["shipyard.pipeline.trigger"] == "manual"


def test_tables_and_arrays_cross_between_steps(workspace: Path) -> None:
    with open_context() as ctx:
        result = run_pipeline(tables, {"n": 50}, context=ctx, max_parallel=1)
        assert result.status is RunStatus.FINISHED
        assert result.value("column_mean") == 24.5
        frame = result.value("frame")
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.columns) == ["x", "y"]
        array = result.value("array")
        assert isinstance(array, np.ndarray)
        assert array.shape == (50, 1)


def test_a_rerun_comes_from_cache_and_a_changed_parameter_reruns_only_downstream(
    workspace: Path,
) -> None:
    marks = str(workspace / "marks")
    with open_context() as ctx:
        first = run_pipeline(marked, {"folder": marks}, context=ctx, max_parallel=1)
        assert set(_states(first).values()) == {"finished"}
        again = run_pipeline(marked, {"folder": marks}, context=ctx, max_parallel=1)
        assert _states(again) == {"journal": "cached", "numbers": "cached", "total": "cached"}
        assert again.value("total") == first.value("total") == 3.0
        changed = run_pipeline(marked, {"folder": marks, "scale": 2.0}, context=ctx, max_parallel=1)
        assert _states(changed) == {"journal": "cached", "numbers": "cached", "total": "finished"}
        assert changed.value("total") == 6.0
        forced = run_pipeline(marked, {"folder": marks}, context=ctx, use_cache=False)
        assert set(_states(forced).values()) == {"finished"}
    assert len(list(Path(marks).iterdir())) == 2  # journal ran twice: first and forced


def test_retries_back_off_exponentially(workspace: Path) -> None:
    waits: list[float] = []
    with open_context() as ctx:
        result = run_pipeline(
            retrying, {"folder": str(workspace / "calls")}, context=ctx, max_parallel=1,
            sleep=waits.append,
        )  # fmt: skip
    assert result.status is RunStatus.FINISHED
    assert result.steps["flaky"].attempts == 3
    assert waits == [7.0, 14.0]
    assert result.value("total") == 1.0


def test_a_step_past_its_timeout_is_killed_and_fails_the_pipeline(workspace: Path) -> None:
    with open_context() as ctx:
        result = run_pipeline(hanging, {"seconds": 600.0}, context=ctx, max_parallel=1)
    assert result.status is RunStatus.FAILED
    assert result.steps["stuck"].state == "failed"
    assert "timed out after 2s" in (result.steps["stuck"].error or "")


def test_a_failed_step_skips_what_depends_on_it_and_nothing_else(workspace: Path) -> None:
    with open_context() as ctx:
        result = run_pipeline(failing, {"n": 4}, context=ctx, max_parallel=1)
        assert result.status is RunStatus.FAILED
        assert _states(result) == {
            "broken": "failed", "numbers": "skipped", "total": "skipped", "numbers-2": "finished",
        }  # fmt: skip
        assert result.steps["broken"].error == "step 'broken' failed: ValueError: no good: 4"
        run = ctx.tracking.get_run(result.steps["broken"].run_id or "").run
        assert run.status is RunStatus.FAILED
        assert "raise ValueError" in run.tags["shipyard.step.traceback"]
        assert ctx.tracking.get_run(result.run_id).run.status is RunStatus.FAILED


def test_an_unstorable_output_fails_at_its_step_naming_the_type(workspace: Path) -> None:
    with open_context() as ctx:
        result = run_pipeline(unstorable, context=ctx, max_parallel=1)
    error = result.steps["opaque"].error or ""
    assert "returned a builtins.object, which cannot be stored between steps" in error
    assert result.steps["opaque"].attempts == 1


def test_a_step_logs_into_its_own_run_and_keeps_what_it_printed(workspace: Path) -> None:
    with open_context() as ctx:
        result = run_pipeline(talking, {"n": 7}, context=ctx, max_parallel=1)
        detail = ctx.tracking.get_run(result.steps["chatty"].run_id or "")
        assert detail.run.metrics["work"].value == 7.0
        [log] = [a for a in detail.artifacts if a.path == "step.log"]
        assert ctx.project_objects.read_bytes(Digest(log.digest)) == b"working on 7\n"


def test_resume_keeps_finished_steps(workspace: Path) -> None:
    marks = str(workspace / "marks")
    with open_context() as ctx:
        first = run_pipeline(marked, {"folder": marks}, context=ctx, use_cache=False)
        kept = Recorder(ctx, "marked").step_outputs(first.run_id)
        assert set(kept) == {"journal", "numbers", "total"}
        resumed = run_pipeline(
            marked,
            {"folder": marks},
            context=ctx,
            use_cache=False,
            keep={"journal": kept["journal"]},
        )
        assert _states(resumed) == {"journal": "kept", "numbers": "finished", "total": "finished"}
    assert len(list(Path(marks).iterdir())) == 1


def test_a_tracked_dataset_is_an_input_by_version(workspace: Path) -> None:
    import shipyard.data

    data = workspace / "sensors.csv"
    data.write_text("a\n1\n2\n")
    with open_context() as ctx:
        shipyard.data.add("sensors.csv", context=ctx)
        first = run_pipeline(counting, context=ctx, max_parallel=1)
        assert first.value("count_lines") == 3
        detail = ctx.tracking.get_run(first.steps["count_lines"].run_id or "")
        [used] = detail.inputs
        assert used.path == "sensors.csv"
        assert _states(run_pipeline(counting, context=ctx, max_parallel=1)) == {
            "count_lines": "cached"
        }
        data.write_text("a\n1\n2\n3\n")
        shipyard.data.add("sensors.csv", context=ctx)
        changed = run_pipeline(counting, context=ctx, max_parallel=1)
        assert _states(changed) == {"count_lines": "finished"}  # a new version, a new key
        assert changed.value("count_lines") == 4
        assert ctx.tracking.get_run(changed.steps["count_lines"].run_id or "").inputs[0].digest != (
            used.digest
        )
