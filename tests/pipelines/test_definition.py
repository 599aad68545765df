"""Planning a pipeline: the graph comes from data flow, and bad wiring fails in one line."""

from __future__ import annotations

import pandas as pd
import pytest

from shipyard.core.errors import InvalidInput
from shipyard.pipelines import pipeline, step
from tests.pipelines.flows import arithmetic, marked, numbers, total


def test_the_graph_comes_from_data_flow_and_after() -> None:
    plan = marked.plan({"folder": "marks"})
    assert [s.id for s in plan.steps] == ["journal", "numbers", "total"]
    assert plan.get("total").upstream() == ["numbers", "journal"]
    assert plan.get("numbers").upstream() == []
    assert plan.downstream({"journal"}) == {"journal", "total"}


def test_parameters_are_the_pipeline_keyword_arguments() -> None:
    plan = arithmetic.plan({"scale": 0.5})
    assert dict(plan.params) == {"n": 10, "scale": 0.5}
    assert plan.get("total").args[1] == 0.5
    with pytest.raises(InvalidInput, match="has no parameter 'C'"):
        arithmetic.plan({"C": 1})
    with pytest.raises(InvalidInput, match="needs a value for parameter 'folder'"):
        marked.plan({})


def test_a_step_called_outside_a_pipeline_says_how_to_call_it() -> None:
    with pytest.raises(InvalidInput, match="called outside a pipeline") as error:
        numbers(3)
    assert "numbers.fn(...)" in (error.value.hint or "")
    assert numbers.fn(3) == [0, 1, 2]


def test_the_same_step_twice_gets_two_nodes() -> None:
    @pipeline
    def twice() -> None:
        total(numbers(2))
        total(numbers(3))

    assert [s.id for s in twice.plan().steps] == ["numbers", "total", "numbers-2", "total-2"]


def test_an_output_cannot_be_used_as_a_value_in_the_body() -> None:
    @pipeline
    def branching() -> None:
        if numbers(2):
            total(numbers(3))

    with pytest.raises(InvalidInput, match="has no value while the pipeline is planned"):
        branching.plan()


def test_a_cycle_cannot_be_built_even_with_an_output_kept_from_another_plan() -> None:
    kept: list[object] = []

    @pipeline
    def leaking() -> None:
        # The second plan's "numbers" would need its own "total" first: a cycle,
        # were an output of the first plan accepted.
        out = total(kept[0] if kept else 1.0)
        kept.append(numbers(out))

    assert [s.upstream() for s in leaking.plan().steps] == [[], ["total"]]
    with pytest.raises(InvalidInput, match="output of step 'numbers' from another pipeline"):
        leaking.plan()


def test_plain_arguments_must_be_json() -> None:
    @pipeline
    def framed() -> None:
        total(pd.DataFrame({"x": [1]}))

    with pytest.raises(InvalidInput, match="argument 0 of step 'total' is a pandas"):
        framed.plan()


def test_wrong_arguments_name_the_step() -> None:
    @pipeline
    def wrong() -> None:
        total(numbers(2), scale=1.0, extra=3)

    with pytest.raises(InvalidInput, match=r"step 'total'.*extra"):
        wrong.plan()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retries": -1}, "retries must be"),
        ({"retries": 1.5}, "retries must be"),
        ({"retry_delay": float("nan")}, "retry_delay must be"),
        ({"timeout": 0}, "timeout must be"),
        ({"timeout": "soon"}, "soon"),
        ({"resources": {"cpu": -2}}, "resource 'cpu'"),
    ],
)
def test_bad_step_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        step(**options)(_one)  # type: ignore[call-overload]


def _one() -> int:
    return 1


def _nothing() -> None:
    return None


def test_durations_are_accepted_for_delays_and_timeouts() -> None:
    slow = step(retry_delay="30s", timeout="2h")(_one)
    assert slow.options.retry_delay == 30
    assert slow.options.timeout == 7200
    assert [slow.options.backoff(a) for a in (2, 3, 4)] == [30, 60, 120]


def test_a_schedule_croniter_rejects_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a cron schedule"):
        pipeline(schedule="every day")(_nothing)
    assert pipeline(schedule="0 3 * * *")(_nothing).schedule == "0 3 * * *"


def test_a_pipeline_without_steps_is_refused() -> None:
    with pytest.raises(InvalidInput, match="calls no step"):
        pipeline(_nothing).plan()
