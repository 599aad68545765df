"""How a pipeline's runs reach the tracking store: cache hits and step ends kept back
briefly and written together, never lost, and found again by their cache key."""

from __future__ import annotations

import json
import time
from pathlib import Path

from shipyard.context import open_context
from shipyard.pipelines import run_pipeline
from shipyard.pipelines.cache import OUTPUT_TAG
from shipyard.pipelines.record import CACHE_TAG, Recorder
from shipyard.pipelines.values import StoredValue
from shipyard.tracking.entities import LOOKUP_TAG, RunStatus
from tests.pipelines.flows import arithmetic

OUTPUT = StoredValue("json", "ab" * 32, 2)


def _status(ctx: object, run_id: str) -> RunStatus:
    return ctx.tracking.get_run(run_id).run.status  # type: ignore[attr-defined]


def test_a_kept_back_end_is_written_by_the_next_start_in_one_write(workspace: Path) -> None:
    with open_context() as ctx:
        recorder = Recorder(ctx, "steps")
        parent = recorder.start("pipeline", {})
        first = recorder.start("a", {}, parent)
        recorder.end(first, RunStatus.FINISHED, params={"p": "1"}, later=True)
        assert _status(ctx, first) is RunStatus.RUNNING  # kept back
        second = recorder.start("b", {}, parent)
        assert _status(ctx, first) is RunStatus.FINISHED
        assert ctx.tracking.get_run(first).run.params == {"p": "1"}
        assert _status(ctx, second) is RunStatus.RUNNING


def test_kept_back_records_are_written_soon_without_another_write(workspace: Path) -> None:
    with open_context() as ctx:
        recorder = Recorder(ctx, "steps")
        parent = recorder.start("pipeline", {})
        step = recorder.start("a", {}, parent)
        recorder.end(step, RunStatus.FINISHED, later=True)
        recorder.hit("b", {LOOKUP_TAG: "k" * 64}, parent, params={}, outcome_tags={
            OUTPUT_TAG: '{"kind": "json", "digest": "' + "ab" * 32 + '", "size": 2}'})  # fmt: skip
        deadline = time.monotonic() + 120  # the timer fires after 0.5 s; a busy machine waits
        while _status(ctx, step) is RunStatus.RUNNING and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _status(ctx, step) is RunStatus.FINISHED
        assert ctx.tracking.tagged_run("steps", "k" * 64, OUTPUT_TAG) is not None
        assert _status(ctx, recorder.hit_ids["b"]) is RunStatus.FINISHED


def test_the_cache_finds_the_newest_finished_run_of_a_key_and_nothing_else(
    workspace: Path,
) -> None:
    with open_context() as ctx:
        recorder = Recorder(ctx, "steps")
        parent = recorder.start("pipeline", {})
        failed = recorder.start("a", {LOOKUP_TAG: "k1"}, parent)
        recorder.end(failed, RunStatus.FAILED, tags={OUTPUT_TAG: "{}"})
        assert recorder.cached("k1") is None  # a failed run is no cache hit
        broken = recorder.start("a", {LOOKUP_TAG: "k2"}, parent)
        recorder.end(broken, RunStatus.FINISHED, tags={OUTPUT_TAG: "not json"})
        assert recorder.cached("k2") is None  # an unreadable output is a miss, not an error
        assert Recorder(ctx, "other").cached("k1") is None  # another pipeline's cache
        gone = recorder.start("a", {LOOKUP_TAG: "k3"}, parent)
        recorder.end(gone, RunStatus.FINISHED, tags={OUTPUT_TAG: json.dumps(OUTPUT.to_dict())})
        assert recorder.cached("k3") is None  # its output is not in the store: run again
        held = ctx.project_objects.put_bytes(b"[1]")
        kept = StoredValue("json", held.digest.hex, held.size)
        again = recorder.start("a", {LOOKUP_TAG: "k3"}, parent)
        recorder.end(again, RunStatus.FINISHED, tags={OUTPUT_TAG: json.dumps(kept.to_dict())})
        assert recorder.cached("k3") == kept


def test_cached_steps_are_recorded_as_runs_with_their_ids(workspace: Path) -> None:
    with open_context() as ctx:
        run_pipeline(arithmetic, {"n": 4}, context=ctx, max_parallel=1)
        again = run_pipeline(arithmetic, {"n": 4}, context=ctx, max_parallel=1)
        for node, step in again.steps.items():
            assert step.state == "cached"
            assert step.run_id is not None
            run = ctx.tracking.get_run(step.run_id).run
            assert (run.name, run.parent_id, run.status) == (node, again.run_id, RunStatus.FINISHED)
            assert run.tags[CACHE_TAG] == "hit"
