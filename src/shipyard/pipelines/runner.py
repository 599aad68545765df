"""Run a planned pipeline: independent steps at once, each cached, retried and tracked.

The main thread keeps the schedule: a step starts when every step it depends
on has an output and its declared resources fit; a step whose upstream
failed is skipped. Each running step has a thread that looks up the cache,
else borrows a worker process and retries with back-off. Nothing here
sleeps against the wall clock except through the injected ``sleep``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from shipyard.core.errors import InvalidInput
from shipyard.core.monitors import triggered_tags
from shipyard.pipelines.cache import KEY_TAG, OUTPUT_TAG, code_digest, step_key
from shipyard.pipelines.definition import (
    DATA_KEY,
    JsonValue,
    Output,
    Pipeline,
    Plan,
    PlannedStep,
    is_dataset,
)
from shipyard.pipelines.pool import StepCrashed, StepTimedOut, WorkerPool
from shipyard.pipelines.record import (
    CACHE_TAG,
    ERROR_TAG,
    NODE_TAG,
    PIPELINE_TAG,
    REFERENCE_TAG,
    TRACEBACK_TAG,
    TRIGGER_ID_TAG,
    TRIGGER_TAG,
    Recorder,
)
from shipyard.pipelines.values import StoredValue
from shipyard.tracking.entities import RunStatus

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["PipelineResult", "StepResult", "run_pipeline"]

DONE = ("finished", "cached", "kept")
EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class StepResult:
    node: str
    state: str
    """finished, cached (a cache hit), kept (resumed), failed or skipped (upstream failed)."""
    attempts: int = 0
    seconds: float = 0.0
    run_id: str | None = None
    output: StoredValue | None = None
    error: str | None = None
    bad_input: bool = False
    """Failed on what it was given or returned (not retried; the CLI exits 2)."""


@dataclass
class PipelineResult:
    pipeline: str
    run_id: str
    status: RunStatus
    steps: dict[str, StepResult] = field(default_factory=dict)
    context: Context | None = None

    def value(self, node: str) -> object:
        """What step ``node`` returned, read back from the object store."""
        from shipyard.pipelines.values import load_value

        result = self.steps.get(node)
        if result is None or result.output is None or self.context is None:
            raise InvalidInput(f"step {node!r} has no output in pipeline run {self.run_id}")
        scratch = _scratch(self.context)
        return load_value(self.context.project_objects, result.output, scratch)


def _scratch(ctx: Context) -> Path:
    """Where models read back from the store are unpacked: the workspace's tmp folder."""
    if ctx.settings.workspace is not None:
        return ctx.layout.tmp_dir / "pipelines"
    import tempfile

    return Path(tempfile.gettempdir()) / "shipyard-pipelines"


@dataclass
class Options:
    use_cache: bool
    capacity: dict[str, float]
    sleep: Callable[[float], None]
    root: Path
    digests: dict[Callable[..., Any], str] = field(default_factory=dict)
    """Code digests of step functions, computed once per pipeline run."""

    def code(self, fn: Callable[..., Any]) -> str:
        found = self.digests.get(fn)
        if found is None:
            found = self.digests[fn] = code_digest(fn, self.root)
        return found

    @classmethod
    def default(cls, ctx: Context) -> Options:
        """One step at a time, cached, real sleeps (for a step run on its own)."""
        return cls(True, {"cpu": 1.0}, time.sleep, _root(ctx))


def run_pipeline(
    pipeline: Pipeline,
    params: Mapping[str, JsonValue] | None = None,
    *,
    context: Context | None = None,
    use_cache: bool = True,
    max_parallel: int | None = None,
    trigger: str = "manual",
    trigger_id: str | None = None,
    keep: Mapping[str, StoredValue] | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PipelineResult:
    """Plan and run ``pipeline``; returns every step's result.

    ``keep``: outputs of steps already finished (``pipeline resume``), not run again.
    ``trigger`` says why the run started; ``trigger_id`` is the scheduler's claim.
    ``executor``: ``local`` (worker processes here) or ``ray`` (Ray tasks on the cluster
    at ``ray_address``, or a local Ray instance).
    """
    from shipyard.context import open_context

    if executor not in EXECUTORS:
        hint = "executors: " + ", ".join(EXECUTORS)
        raise InvalidInput(f"unknown executor {executor!r}", hint=hint)
    plan = pipeline.plan(params)
    ctx = context or open_context()
    pool = _executor(executor, ctx, ray_address)
    try:
        return _run_plan(pipeline, plan, ctx, pool, max_parallel, use_cache, sleep,
                         _tags(pipeline, trigger, trigger_id), dict(keep or {}))  # fmt: skip
    finally:
        pool.close()


def _tags(pipeline: Pipeline, trigger: str, trigger_id: str | None) -> dict[str, str]:
    tags = triggered_tags(os.environ)  # inside a monitor's on_breach command
    tags |= {PIPELINE_TAG: pipeline.name, REFERENCE_TAG: pipeline.reference, TRIGGER_TAG: trigger}
    if trigger_id is not None:
        tags[TRIGGER_ID_TAG] = trigger_id
    return tags


def _run_plan(
    pipeline: Pipeline,
    plan: Plan,
    ctx: Context,
    pool: Executor,
    max_parallel: int | None,
    use_cache: bool,
    sleep: Callable[[float], None],
    tags: dict[str, str],
    keep: dict[str, StoredValue],
) -> PipelineResult:
    slots = max(1, max_parallel or pool.size)
    options = Options(use_cache, {"cpu": float(slots)}, sleep, _root(ctx))
    _check_resources(plan, options.capacity)
    recorder = Recorder(ctx, pipeline.name)
    run_id = recorder.start(pipeline.name, tags)
    result = PipelineResult(pipeline.name, run_id, RunStatus.FAILED, context=ctx)
    started = time.perf_counter()
    try:
        _schedule(plan, recorder, pool, options, run_id, keep, result.steps, slots)
        failed = any(r.state not in DONE for r in result.steps.values())
        result.status = RunStatus.FAILED if failed else RunStatus.FINISHED
    finally:
        recorder.end(
            run_id,
            result.status,
            params={k: json.dumps(v) for k, v in plan.params.items()},
            metrics=_counts(result.steps),
            seconds=time.perf_counter() - started,
        )  # writes the step runs kept back with it
        result.steps = {
            node: r if r.run_id else replace(r, run_id=recorder.hit_ids.get(node))
            for node, r in result.steps.items()
        }
    return result


class Executor(Protocol):
    size: int

    def call(self, task: dict[str, Any], timeout: float | None) -> dict[str, Any]: ...

    def close(self) -> None: ...


def _executor(name: str, ctx: Context, ray_address: str | None) -> Executor:
    if name == "ray":
        from shipyard.pipelines.ray_executor import RayPool

        return RayPool(ctx.settings, ctx.principal, Path.cwd(), ray_address)
    return WorkerPool(ctx.settings, ctx.principal, Path.cwd(), os.cpu_count() or 1)


def _root(ctx: Context) -> Path:
    return Path(ctx.settings.workspace or Path.cwd()).resolve()


def _check_resources(plan: Plan, capacity: Mapping[str, float]) -> None:
    for planned in plan.steps:
        for name, amount in _needs(planned).items():
            if amount > capacity.get(name, 0.0):
                raise InvalidInput(
                    f"step {planned.id!r} needs {name}={amount:g}, and this executor has "
                    f"{capacity.get(name, 0.0):g}",
                    hint="lower the step's resources, or raise --max-parallel",
                )


def _needs(planned: PlannedStep) -> dict[str, float]:
    return {"cpu": 1.0, **{k: float(v) for k, v in planned.step.options.resources.items()}}


def _counts(steps: Mapping[str, StepResult]) -> dict[str, float]:
    states = [r.state for r in steps.values()]
    return {
        f"steps_{s}": float(states.count(s))
        for s in ("finished", "cached", "kept", "failed", "skipped")
    }


def _schedule(
    plan: Plan,
    recorder: Recorder,
    pool: Executor,
    options: Options,
    run_id: str,
    keep: dict[str, StoredValue],
    results: dict[str, StepResult],
    slots: int,
) -> None:
    free = dict(options.capacity)
    waiting = list(plan.steps)
    running: dict[Future[StepResult], PlannedStep] = {}
    with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="shipyard-step") as threads:
        while waiting or running:
            for planned in list(waiting):
                upstream = [results.get(node) for node in planned.upstream()]
                if any(r is not None and r.state not in DONE for r in upstream):
                    waiting.remove(planned)
                    results[planned.id] = StepResult(
                        planned.id, "skipped", error="an upstream step failed"
                    )
                elif planned.id in keep:
                    waiting.remove(planned)
                    results[planned.id] = StepResult(planned.id, "kept", output=keep[planned.id])
                elif all(r is not None for r in upstream) and _fits(_needs(planned), free):
                    waiting.remove(planned)
                    _take(free, _needs(planned), -1)
                    inputs = {node: results[node].output for node in planned.upstream()}
                    job = threads.submit(
                        _run_step, planned, inputs, recorder, pool, options, run_id
                    )
                    running[job] = planned
            if not running:
                if waiting and not any(_ready(p, results) for p in waiting):
                    raise InvalidInput(f"steps {[p.id for p in waiting]} can never start")
                continue  # skips and keeps may have made more steps ready
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for job in done:
                planned = running.pop(job)
                _take(free, _needs(planned), +1)
                results[planned.id] = job.result()


def _record_log(recorder: Recorder, run_id: str, log: object, attempt: int) -> None:
    if isinstance(log, dict):
        name = "step.log" if attempt == 1 else f"step.{attempt}.log"
        recorder.backend.record_artifacts(run_id, [(name, str(log["digest"]), int(log["size"]))])


def _ready(planned: PlannedStep, results: Mapping[str, StepResult]) -> bool:
    return all(node in results for node in planned.upstream())


def _fits(needs: Mapping[str, float], free: Mapping[str, float]) -> bool:
    return all(free.get(name, 0.0) >= amount for name, amount in needs.items())


def _take(free: dict[str, float], needs: Mapping[str, float], sign: int) -> None:
    for name, amount in needs.items():
        free[name] = free.get(name, 0.0) + sign * amount


def _argument(value: Any, inputs: Mapping[str, StoredValue | None], ctx: Context) -> dict[str, Any]:
    if isinstance(value, Output):
        stored = inputs[value.node]
        assert stored is not None  # upstream steps in DONE states have outputs
        return {"stored": stored.to_dict()}
    if is_dataset(value):
        import shipyard.data

        path, rev = str(value[DATA_KEY]), value.get("rev")
        pointer = shipyard.data.show(path, rev=rev, context=ctx).pointer
        found = {"path": path, "rev": rev, "digest": pointer.digest.hex, "size": pointer.size}
        return {"dataset": found}
    return {"value": value}


def _digest_of(item: dict[str, Any]) -> str:
    if "stored" in item:
        return str(item["stored"]["digest"])
    if "dataset" in item:
        return "data:" + str(item["dataset"]["digest"])
    return "json:" + json.dumps(item["value"], sort_keys=True, separators=(",", ":"))


def _run_step(
    planned: PlannedStep,
    inputs: Mapping[str, StoredValue | None],
    recorder: Recorder,
    pool: Executor,
    options: Options,
    parent: str,
    retries: int | None = None,
) -> StepResult:
    """One step call: from cache, or on ``pool`` with retries (``retries``: overrides
    the step's own, e.g. 0 where Airflow retries the task)."""
    step = planned.step
    args = [_argument(v, inputs, recorder.context) for v in planned.args]
    kwargs = {k: _argument(v, inputs, recorder.context) for k, v in planned.kwargs.items()}
    named = {str(i): _digest_of(a) for i, a in enumerate(args)}
    named |= {k: _digest_of(a) for k, a in kwargs.items()}
    key = step_key(options.code(step.fn), named, {"step": step.name})
    tags = {NODE_TAG: planned.id, KEY_TAG: key}
    params = {f"input.{k}": v[:250] for k, v in named.items()}
    if options.use_cache and step.options.cache:
        hit = recorder.cached(key)
        if hit is not None:
            hit_tags = {CACHE_TAG: "hit", OUTPUT_TAG: json.dumps(hit.to_dict())}
            recorder.hit(planned.id, tags, parent, params=params, outcome_tags=hit_tags)
            return StepResult(planned.id, "cached", 0, 0.0, None, hit)  # id: once written
    run_id = recorder.start(planned.id, tags, parent)
    for item in [*args, *kwargs.values()]:
        if "dataset" in item:  # lineage: data version -> step
            found = item["dataset"]
            recorder.backend.log_input(run_id, found["path"], found["size"], found["digest"])
    task = {
        "node": planned.id, "reference": step.reference, "args": args, "kwargs": kwargs,
        "run_id": run_id,
    }  # fmt: skip
    started = time.perf_counter()
    attempt, error, trace, bad_input = 0, "", "", False
    while attempt <= (step.options.retries if retries is None else retries):
        attempt += 1
        if attempt > 1:
            options.sleep(step.options.backoff(attempt))
        try:
            answer = pool.call(task, step.options.timeout)
        except (StepTimedOut, StepCrashed) as lost:
            error = f"step {planned.id!r} {lost}"
            continue
        _record_log(recorder, run_id, answer.get("log"), attempt)
        if answer.get("ok"):
            output = StoredValue.from_dict(answer["output"])
            seconds = time.perf_counter() - started
            recorder.end(run_id, RunStatus.FINISHED, params=params,
                         metrics={"attempts": attempt, "step_seconds": float(answer["seconds"])},
                         tags={CACHE_TAG: "miss", OUTPUT_TAG: json.dumps(output.to_dict())},
                         seconds=seconds, later=True)  # fmt: skip
            return StepResult(planned.id, "finished", attempt, seconds, run_id, output)
        error = f"step {planned.id!r} failed: {answer.get('error')}"
        trace = str(answer.get("traceback") or "")
        bad_input = not answer.get("retryable", True)
        if bad_input:
            break
    seconds = time.perf_counter() - started
    failure = {CACHE_TAG: "miss", ERROR_TAG: error[:8000]}
    if trace:
        failure[TRACEBACK_TAG] = trace[-8000:]
    recorder.end(run_id, RunStatus.FAILED, params=params, metrics={"attempts": attempt},
                 tags=failure, seconds=seconds, later=True)  # fmt: skip
    return StepResult(planned.id, "failed", attempt, seconds, run_id, None, error, bad_input)
