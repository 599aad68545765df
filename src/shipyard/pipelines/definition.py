"""``@step`` and ``@pipeline``: plain functions, and the graph their calls describe.

A pipeline body runs once, when the pipeline is planned: each step call inside
it records a node and returns an :class:`Output` placeholder instead of running.
Passing an output to another step is an edge; ``after=`` orders steps without
data. Steps run later, each in a worker process, with real values.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeVar, overload

from shipyard.core.durations import parse_duration
from shipyard.core.errors import InvalidInput

__all__ = [
    "Output",
    "Pipeline",
    "Plan",
    "PlannedStep",
    "Step",
    "StepOptions",
    "dataset",
    "pipeline",
    "step",
]

P = ParamSpec("P")
R = TypeVar("R")
JsonValue = Any  # a value json.dumps accepts: checked by check_json, not by the type checker

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
_PLANNING: contextvars.ContextVar[_Planner | None] = contextvars.ContextVar(
    "shipyard_pipeline_planning", default=None
)


@dataclass(frozen=True)
class StepOptions:
    retries: int = 0
    retry_delay: float = 1.0
    """Seconds before the first retry; doubled before each further one."""
    timeout: float | None = None
    """Seconds; the step's process is killed past it."""
    cache: bool = True
    resources: Mapping[str, float] = field(default_factory=dict)
    """Declared needs, e.g. ``{"cpu": 2}``: independent steps run together only while they fit."""

    def __post_init__(self) -> None:
        if not isinstance(self.retries, int) or not 0 <= self.retries <= 100:
            raise InvalidInput(
                f"retries must be a whole number from 0 to 100, not {self.retries!r}"
            )
        if not _positive(self.retry_delay, allow_zero=True):
            raise InvalidInput(f"retry_delay must be seconds >= 0, not {self.retry_delay!r}")
        if self.timeout is not None and not _positive(self.timeout):
            raise InvalidInput(f"timeout must be seconds > 0, not {self.timeout!r}")
        for name, amount in self.resources.items():
            if not isinstance(name, str) or not _positive(amount, allow_zero=True):
                raise InvalidInput(f"resource {name!r} must be a number >= 0, not {amount!r}")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (2 is the first retry)."""
        return float(self.retry_delay * 2 ** max(0, attempt - 2))


def _positive(value: object, *, allow_zero: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    return value >= 0 if allow_zero else value > 0


def _seconds(value: float | str | None) -> float | None:
    if isinstance(value, str):
        return parse_duration(value).total_seconds()
    return value


class Step(Generic[P, R]):
    """A function that runs as one step of a pipeline (and stays callable as itself: ``.fn``)."""

    def __init__(self, fn: Callable[P, R], options: StepOptions, name: str | None = None) -> None:
        self.fn = fn
        self.options = options
        self.name = name or fn.__name__
        if not _NAME.match(self.name):
            raise InvalidInput(f"{self.name!r} cannot be a step name")
        self.signature = inspect.signature(fn)
        functools.update_wrapper(self, fn)

    @property
    def reference(self) -> str:
        """``module:qualname``, how a worker process finds the function."""
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    def __call__(self, *args: Any, after: Output | Sequence[Output] = (), **kwargs: Any) -> Any:
        planner = _PLANNING.get()
        if planner is None:
            raise InvalidInput(
                f"step {self.name!r} was called outside a pipeline",
                hint=f"call it from a @shipyard.pipeline function, or call {self.name}.fn(...) "
                "to run the plain function",
            )
        return planner.add(self, args, kwargs, after)

    def __repr__(self) -> str:
        return f"<step {self.name}>"


@overload
def step(fn: Callable[P, R], /) -> Step[P, R]: ...
@overload
def step(
    *,
    retries: int = 0,
    retry_delay: float | str = 1.0,
    timeout: float | str | None = None,
    cache: bool = True,
    resources: Mapping[str, float] | None = None,
    name: str | None = None,
) -> Callable[[Callable[P, R]], Step[P, R]]: ...
def step(
    fn: Callable[P, R] | None = None,
    /,
    *,
    retries: int = 0,
    retry_delay: float | str = 1.0,
    timeout: float | str | None = None,
    cache: bool = True,
    resources: Mapping[str, float] | None = None,
    name: str | None = None,
) -> Step[P, R] | Callable[[Callable[P, R]], Step[P, R]]:
    """Make a function a pipeline step; bare (``@step``) or with options (``@step(retries=2)``).

    ``retry_delay`` and ``timeout`` are seconds or durations (``"30s"``, ``"2h"``).
    """
    options = StepOptions(
        retries=retries,
        retry_delay=_seconds(retry_delay) or 0.0,
        timeout=_seconds(timeout),
        cache=cache,
        resources=dict(resources or {}),
    )

    def wrap(function: Callable[P, R]) -> Step[P, R]:
        return Step(function, options, name)

    return wrap(fn) if fn is not None else wrap


@dataclass(frozen=True)
class Output:
    """What a step call returns while a pipeline is planned: the future value of that step."""

    node: str
    plan: int = field(default=0, compare=False, repr=False)
    """Which planning made it: an output kept from another plan is refused."""

    def __bool__(self) -> bool:
        raise InvalidInput(
            f"the output of step {self.node!r} has no value while the pipeline is planned",
            hint="pass it to another step; decide inside a step, not in the pipeline body",
        )

    def __iter__(self) -> Iterator[Any]:
        raise InvalidInput(
            f"the output of step {self.node!r} cannot be unpacked in the pipeline body",
            hint="return one value per step (a dict or a DataFrame), and pass it on whole",
        )


@dataclass(frozen=True)
class PlannedStep:
    """One node: a step call with its arguments (plain JSON values or outputs)."""

    id: str
    step: Step[..., Any]
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    after: tuple[str, ...]

    def upstream(self) -> list[str]:
        found = [
            value.node for value in (*self.args, *self.kwargs.values()) if isinstance(value, Output)
        ]
        return list(dict.fromkeys([*found, *self.after]))


@dataclass(frozen=True)
class Plan:
    """The steps of one pipeline run, in the order the body called them (a topological order)."""

    pipeline: str
    params: Mapping[str, JsonValue]
    steps: tuple[PlannedStep, ...]

    def get(self, node: str) -> PlannedStep:
        for planned in self.steps:
            if planned.id == node:
                return planned
        raise InvalidInput(f"no step {node!r} in pipeline {self.pipeline!r}")

    def downstream(self, nodes: set[str]) -> set[str]:
        """``nodes`` and every step that depends on them, directly or not."""
        found = set(nodes)
        for planned in self.steps:  # in call order, so one pass reaches everything
            if found.intersection(planned.upstream()):
                found.add(planned.id)
        return found


_SERIALS = itertools.count(1)


class _Planner:
    def __init__(self) -> None:
        self.serial = next(_SERIALS)
        self.steps: list[PlannedStep] = []
        self.counts: dict[str, int] = {}

    def add(
        self,
        step: Step[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        after: Output | Sequence[Output],
    ) -> Output:
        try:
            step.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise InvalidInput(f"step {step.name!r}: {error}") from None
        count = self.counts.get(step.name, 0) + 1
        self.counts[step.name] = count
        node = step.name if count == 1 else f"{step.name}-{count}"
        for where, value in [*enumerate(args), *kwargs.items()]:
            if not isinstance(value, Output):
                check_json(value, f"argument {where!r} of step {step.name!r}")
        waits = [after] if isinstance(after, Output) else list(after)
        if not all(isinstance(item, Output) for item in waits):
            raise InvalidInput(f"step {step.name!r}: after= takes outputs of other steps")
        for value in [*args, *kwargs.values(), *waits]:
            if isinstance(value, Output) and value.plan != self.serial:
                # Only outputs of steps already called in this plan: so no cycle can form.
                raise InvalidInput(
                    f"step {step.name!r} was given the output of step {value.node!r} from "
                    "another pipeline plan",
                    hint="pass outputs of steps called earlier in the same pipeline body",
                )
        planned = PlannedStep(node, step, tuple(args), dict(kwargs), tuple(o.node for o in waits))
        self.steps.append(planned)
        return Output(node, self.serial)


DATA_KEY = "shipyard.data"


def dataset(path: str, rev: str | None = None) -> dict[str, str | None]:
    """A tracked path as a step argument: the step gets a local path of that version, the
    cache key the version's digest, and the step run the input (lineage).

    ``rev`` is a git revision (default: the pointer in the work tree when the step runs).
    """
    if not isinstance(path, str) or not path:
        raise InvalidInput(f"dataset() takes a tracked path, not {path!r}")
    return {DATA_KEY: path, "rev": rev}


def is_dataset(value: object) -> bool:
    return isinstance(value, dict) and DATA_KEY in value


def check_json(value: object, what: str, depth: int = 0) -> None:
    """Plain arguments are stored as JSON: refuse anything else, saying what to do."""
    if depth > 32:
        raise InvalidInput(f"{what} is nested too deeply")
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{what} is {value}, which JSON cannot hold")
        return
    if isinstance(value, list | tuple):
        for item in value:
            check_json(item, what, depth + 1)
        return
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        for item in value.values():
            check_json(item, what, depth + 1)
        return
    raise InvalidInput(
        f"{what} is a {type(value).__module__}.{type(value).__qualname__}",
        hint="pass plain values (numbers, strings, lists, dicts) or the output of another step",
    )


class Pipeline:
    """A function whose body wires steps together; its keyword arguments are its parameters."""

    def __init__(self, fn: Callable[..., Any], schedule: str | None, name: str | None) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        if not _NAME.match(self.name):
            raise InvalidInput(f"{self.name!r} cannot be a pipeline name")
        self.schedule = schedule
        if schedule is not None:
            check_schedule(schedule, self.name)
        self.signature = inspect.signature(fn)
        functools.update_wrapper(self, fn)

    @property
    def reference(self) -> str:
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    def defaults(self) -> dict[str, JsonValue]:
        return {
            name: param.default
            for name, param in self.signature.parameters.items()
            if param.default is not inspect.Parameter.empty
        }

    def plan(self, params: Mapping[str, JsonValue] | None = None) -> Plan:
        """Run the body with placeholders: the steps and how they connect."""
        given = dict(params or {})
        unknown = sorted(set(given) - set(self.signature.parameters))
        if unknown:
            raise InvalidInput(
                f"pipeline {self.name!r} has no parameter {unknown[0]!r}",
                hint="its parameters: " + (", ".join(self.signature.parameters) or "(none)"),
            )
        values = {**self.defaults(), **given}
        missing = [name for name in self.signature.parameters if name not in values]
        if missing:
            raise InvalidInput(
                f"pipeline {self.name!r} needs a value for parameter {missing[0]!r}",
                hint=f"pass --param {missing[0]}=VALUE",
            )
        for name, value in values.items():
            check_json(value, f"parameter {name!r}")
        with planning() as planner:
            self.fn(**values)
        if not planner.steps:
            raise InvalidInput(f"pipeline {self.name!r} calls no step")
        return Plan(self.name, values, tuple(planner.steps))

    def __call__(self, **params: JsonValue) -> Any:
        """Run the pipeline here with the local executor (see :func:`shipyard.pipelines.run`)."""
        from shipyard.pipelines.runner import run_pipeline

        return run_pipeline(self, params)

    def __repr__(self) -> str:
        return f"<pipeline {self.name}>"


@contextmanager
def planning() -> Iterator[_Planner]:
    if _PLANNING.get() is not None:
        raise InvalidInput("a pipeline cannot be planned inside another pipeline's body")
    planner = _Planner()
    token = _PLANNING.set(planner)
    try:
        yield planner
    finally:
        _PLANNING.reset(token)


def check_schedule(schedule: str, name: str) -> None:
    try:
        from croniter import croniter
    except ImportError:  # only the scheduler needs it (its extra): here, a shape check
        valid = len(schedule.split()) == 5
    else:
        valid = croniter.is_valid(schedule)
    if not valid:
        raise InvalidInput(
            f"pipeline {name!r}: {schedule!r} is not a cron schedule",
            hint="five fields, e.g. '0 3 * * *' for 03:00 every day",
        )


@overload
def pipeline(fn: Callable[..., Any], /) -> Pipeline: ...
@overload
def pipeline(
    *, schedule: str | None = None, name: str | None = None
) -> Callable[[Callable[..., Any]], Pipeline]: ...
def pipeline(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    schedule: str | None = None,
    name: str | None = None,
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Make a function a pipeline; bare, or with options (``@pipeline(schedule="0 3 * * *")``)."""

    def wrap(function: Callable[..., Any]) -> Pipeline:
        return Pipeline(function, schedule, name)

    return wrap(fn) if fn is not None else wrap
