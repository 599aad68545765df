"""Contract of the tracking service, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from shipyard.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    QuerySyntaxError,
)
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.core.settings import CostSettings
from shipyard.store import audit
from shipyard.store.base import utcnow
from shipyard.store.db import Database
from shipyard.tracking.entities import LogBatch, Resources, RunSpec, RunStatus, Writer
from shipyard.tracking.limits import VALUE_MAX
from shipyard.tracking.service import TrackingService

P = "churn"


@pytest.fixture
def service(database: Database) -> TrackingService:
    return TrackingService(database, CostSettings(cpu_hour=3.6, gpu_hour=36.0))


def start(service: TrackingService, name: str = "r", experiment: str = "exp", **kw: object) -> str:
    return service.create_run(LOCAL_OWNER, P, RunSpec(experiment=experiment, name=name, **kw)).id  # type: ignore[arg-type]


def metrics(run_id: str, *values: tuple[str, float, int]) -> LogBatch:
    return LogBatch(metrics=[(run_id, k, v, s, 1000 + i) for i, (k, v, s) in enumerate(values)])


def test_a_run_keeps_params_metrics_tags_and_how_it_ended(service: TrackingService) -> None:
    run_id = start(service, tags={"team": "growth"})
    service.log(
        LOCAL_OWNER,
        LogBatch(
            metrics=[(run_id, "loss", 0.5, 0, 1), (run_id, "loss", 0.3, 1, 2)],
            params=[(run_id, "C", "1.0"), (run_id, "model", "lr")],
            tags=[(run_id, "stage", "dev")],
        ),
    )
    service.end_run(
        LOCAL_OWNER, run_id, RunStatus.FINISHED, Resources(10.0, 7200.0, 2**20, 0.0), exit_code=0
    )
    run = service.get_run(LOCAL_OWNER, run_id).run
    assert run.status is RunStatus.FINISHED
    assert run.params == {"C": "1.0", "model": "lr"}
    assert run.tags == {"stage": "dev", "team": "growth"}
    assert run.metrics["loss"].value == 0.3
    assert run.metrics["loss"].step == 1
    assert run.resources.cpu_seconds == 7200.0
    assert run.cost == pytest.approx(7.2)  # two CPU hours at 3.6
    assert run.end_time is not None
    assert run.end_time >= run.start_time
    assert [p.value for p in service.metric_history(LOCAL_OWNER, run_id, "loss")] == [0.5, 0.3]
    with service.db.read() as session:
        actions = [e.action for e in audit.list_events(session)]
    assert actions[:2] == ["run.end", "run.start"]


def test_latest_metric_is_the_highest_step_not_the_last_written(service: TrackingService) -> None:
    run_id = start(service)
    service.log(LOCAL_OWNER, metrics(run_id, ("acc", 0.9, 5)))
    service.log(LOCAL_OWNER, metrics(run_id, ("acc", 0.1, 2)))
    assert service.get_run(LOCAL_OWNER, run_id).run.metrics["acc"].value == 0.9
    history = service.metric_history(LOCAL_OWNER, run_id, "acc")
    assert [(p.step, p.value) for p in history] == [(2, 0.1), (5, 0.9)]


def test_nan_and_infinity_are_stored_and_read_back(service: TrackingService) -> None:
    run_id = start(service)
    service.log(
        LOCAL_OWNER, metrics(run_id, ("a", math.nan, 0), ("b", math.inf, 0), ("c", -math.inf, 0))
    )
    run = service.get_run(LOCAL_OWNER, run_id).run
    assert math.isnan(run.metrics["a"].value)
    assert run.metrics["b"].value == math.inf
    assert run.metrics["c"].value == -math.inf
    assert math.isnan(service.metric_history(LOCAL_OWNER, run_id, "a")[0].value)
    # NaN never satisfies a comparison; infinity is larger than any number.
    found = service.search_runs(
        LOCAL_OWNER, P, filter="metrics.b > 1e300 and metrics.a is not null"
    )
    assert [r.id for r in found.runs] == [run_id]
    assert service.search_runs(LOCAL_OWNER, P, filter="metrics.a > 0").runs == ()


def test_a_param_cannot_change_and_a_refused_batch_writes_nothing(
    service: TrackingService,
) -> None:
    run_id = start(service)
    service.log(LOCAL_OWNER, LogBatch(params=[(run_id, "C", "1.0")]))
    service.log(LOCAL_OWNER, LogBatch(params=[(run_id, "C", "1.0")]))  # same value: fine
    with pytest.raises(Conflict, match=r"'C'.*cannot change"):
        service.log(
            LOCAL_OWNER,
            LogBatch(metrics=[(run_id, "loss", 1.0, 0, 1)], params=[(run_id, "C", "2.0")]),
        )
    run = service.get_run(LOCAL_OWNER, run_id).run
    assert run.params == {"C": "1.0"}
    assert run.metrics == {}


def test_logging_to_an_ended_or_unknown_run_is_refused(service: TrackingService) -> None:
    run_id = start(service)
    service.end_run(LOCAL_OWNER, run_id, RunStatus.FAILED, Resources())
    with pytest.raises(Conflict, match="has ended"):
        service.log(LOCAL_OWNER, metrics(run_id, ("x", 1.0, 0)))
    with pytest.raises(Conflict, match="already ended"):
        service.end_run(LOCAL_OWNER, run_id, RunStatus.FINISHED, Resources())
    with pytest.raises(NotFound, match="no run with id"):
        service.log(LOCAL_OWNER, metrics("0" * 26, ("x", 1.0, 0)))
    with pytest.raises(NotFound):
        service.get_run(LOCAL_OWNER, "nope-nope")


def test_resuming_a_run_lets_it_log_again(service: TrackingService) -> None:
    run_id = start(service)
    service.end_run(LOCAL_OWNER, run_id, RunStatus.FINISHED, Resources(1.0, 1.0, 10, 0.0))
    resumed = service.resume_run(LOCAL_OWNER, run_id, Writer("h", 1))
    assert resumed.status is RunStatus.RUNNING
    assert resumed.end_time is None
    assert resumed.resources.wall_seconds == 1.0
    service.log(LOCAL_OWNER, metrics(run_id, ("x", 2.0, 0)))
    service.end_run(LOCAL_OWNER, run_id, RunStatus.FINISHED, Resources(3.0, 2.0, 10, 0.0))
    assert service.get_run(LOCAL_OWNER, run_id).run.metrics["x"].value == 2.0


def test_nested_runs_know_their_parent_and_children(service: TrackingService) -> None:
    parent = start(service, name="sweep")
    children = [start(service, name=f"trial-{i}", parent_id=parent) for i in range(3)]
    detail = service.get_run(LOCAL_OWNER, parent)
    assert detail.children == tuple(children)
    assert service.get_run(LOCAL_OWNER, children[0]).run.parent_id == parent
    found = service.search_runs(LOCAL_OWNER, P, filter=f"parent_id = '{parent}'")
    assert {r.id for r in found.runs} == set(children)
    with pytest.raises(NotFound):
        start(service, parent_id="0" * 26)


def _grid(service: TrackingService, count: int = 12) -> dict[str, str]:
    names = {}
    for i in range(count):
        run_id = start(service, name=f"run-{i:02d}", experiment="a" if i % 3 else "b")
        names[run_id] = f"run-{i:02d}"
        service.log(
            LOCAL_OWNER,
            LogBatch(
                metrics=[(run_id, "accuracy", 0.5 + i / 40, 0, 1), (run_id, "f1", i / 10, 0, 1)],
                params=[(run_id, "model", "lr" if i % 2 else "rf"), (run_id, "C", str(i / 2))],
                tags=[(run_id, "team", "growth" if i < 6 else "risk")],
            ),
        )
    return names


def test_search_filters_orders_and_pages_by_keyset(service: TrackingService) -> None:
    names = _grid(service)
    query = "metrics.accuracy > 0.6 and params.model = 'lr'"
    first = service.search_runs(LOCAL_OWNER, P, filter=query, order_by="metrics.f1 desc", limit=2)
    assert [r.name for r in first.runs] == ["run-11", "run-09"]
    assert first.next_page_token
    rest = service.search_runs(
        LOCAL_OWNER,
        P,
        filter=query,
        order_by="metrics.f1 desc",
        limit=10,
        page_token=first.next_page_token,
    )
    assert [r.name for r in rest.runs] == ["run-07", "run-05"]
    assert rest.next_page_token is None
    # numbers compare as numbers, text as text; or/not/in/like all work
    assert {r.name for r in service.search_runs(LOCAL_OWNER, P, filter="params.C >= 5").runs} == {
        "run-10",
        "run-11",
    }
    found = service.search_runs(
        LOCAL_OWNER,
        P,
        filter="(tags.team = 'risk' and not params.model in ('rf')) or name like '%-00'",
    )
    assert {r.name for r in found.runs} == {"run-00", "run-07", "run-09", "run-11"}
    only_b = service.search_runs(LOCAL_OWNER, P, experiments=["b"], limit=100)
    assert {r.experiment for r in only_b.runs} == {"b"}
    assert len(only_b.runs) == 4
    newest = service.search_runs(LOCAL_OWNER, P, limit=1).runs[0]
    assert newest.id == max(names)


def test_search_orders_missing_values_last_both_ways(service: TrackingService) -> None:
    with_value = start(service, name="has")
    service.log(LOCAL_OWNER, metrics(with_value, ("f1", 0.5, 0)))
    start(service, name="lacks")
    for order in ("metrics.f1 asc", "metrics.f1 desc"):
        page = service.search_runs(LOCAL_OWNER, P, order_by=order)
        assert [r.name for r in page.runs] == ["has", "lacks"]


def test_paging_through_everything_visits_each_run_once(service: TrackingService) -> None:
    _grid(service, 9)
    for order in ("", "params.model asc, metrics.f1 desc", "name desc", "tags.team"):
        seen: list[str] = []
        token = None
        while True:
            page = service.search_runs(LOCAL_OWNER, P, order_by=order, limit=2, page_token=token)
            seen.extend(r.id for r in page.runs)
            token = page.next_page_token
            if token is None:
                break
        assert len(seen) == len(set(seen)) == 9, order


def test_paging_by_one_metric_walks_values_then_runs_without_one(
    service: TrackingService,
) -> None:
    values = [0.3, 0.1, math.nan, 0.3, None, 0.2, None, 0.5]
    ids = []
    for i, value in enumerate(values):
        run_id = start(service, name=f"r{i}")
        ids.append(run_id)
        if value is not None:
            service.log(LOCAL_OWNER, metrics(run_id, ("f1", value, 0)))
    for order, expected in (
        ("metrics.f1 desc", [7, 3, 0, 5, 1, 6, 4, 2]),
        ("metrics.f1 asc", [1, 5, 0, 3, 7, 2, 4, 6]),
    ):
        for limit in (1, 2, 3, 8, 9):
            seen: list[str] = []
            token = None
            while True:
                page = service.search_runs(
                    LOCAL_OWNER, P, order_by=order, limit=limit, page_token=token
                )
                seen.extend(r.id for r in page.runs)
                token = page.next_page_token
                if token is None:
                    break
            assert seen == [ids[i] for i in expected], (order, limit)
    filtered = service.search_runs(
        LOCAL_OWNER, P, filter="name != 'r7'", order_by="metrics.f1 desc"
    )
    assert [r.name for r in filtered.runs][:2] == ["r3", "r0"]


def test_bad_queries_are_refused_clearly(service: TrackingService) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        service.search_runs(LOCAL_OWNER, P, filter="metrics.accuracy > and x")
    assert caught.value.position == len("metrics.accuracy > ")
    with pytest.raises(NotFound, match="no experiment named 'zzz'"):
        service.search_runs(LOCAL_OWNER, P, experiments=["zzz"])
    with pytest.raises(InvalidInput, match="page token"):
        service.search_runs(LOCAL_OWNER, P, page_token="garbage")
    with pytest.raises(InvalidInput, match="limit"):
        service.search_runs(LOCAL_OWNER, P, limit=0)


def test_a_run_whose_heartbeat_stopped_is_marked_killed(service: TrackingService) -> None:
    run_id = start(service, host="elsewhere", pid=123)
    assert service.reap(LOCAL_OWNER, P) == []
    later = utcnow() + timedelta(hours=1)
    assert service.reap(LOCAL_OWNER, P, now=later) == [run_id]
    run = service.get_run(LOCAL_OWNER, run_id).run
    assert run.status is RunStatus.KILLED
    # the process was only paused: its next write revives the run
    service.log(LOCAL_OWNER, metrics(run_id, ("x", 1.0, 0)), Writer("elsewhere", 123))
    assert service.get_run(LOCAL_OWNER, run_id).run.status is RunStatus.RUNNING


def test_heartbeats_record_resources_so_far(service: TrackingService) -> None:
    run_id = start(service, host="h", pid=1)
    service.heartbeat(LOCAL_OWNER, {run_id: Resources(5.0, 3600.0, 100, 0.0)}, Writer("h", 1))
    run = service.get_run(LOCAL_OWNER, run_id).run
    assert run.resources.cpu_seconds == 3600.0
    assert run.cost == pytest.approx(3.6)


def test_inputs_and_artifacts_are_recorded(service: TrackingService) -> None:
    run_id = start(service)
    service.log_input(LOCAL_OWNER, run_id, "data/train.csv", 1234, "ab" * 32)
    service.record_artifact(LOCAL_OWNER, run_id, "model/model.skops", "cd" * 32, 99)
    detail = service.get_run(LOCAL_OWNER, run_id)
    assert [(i.path, i.size, i.digest) for i in detail.inputs] == [
        ("data/train.csv", 1234, "ab" * 32)
    ]
    assert [(a.path, a.size) for a in detail.artifacts] == [("model/model.skops", 99)]


def test_experiments_total_their_runs_and_cost(service: TrackingService) -> None:
    for experiment in ("a", "a", "b"):
        run_id = start(service, experiment=experiment)
        service.end_run(LOCAL_OWNER, run_id, RunStatus.FINISHED, Resources(1, 3600, 1, 0))
    listed = {e.name: e for e in service.list_experiments(LOCAL_OWNER, P)}
    assert listed["a"].run_count == 2
    assert listed["a"].cost == pytest.approx(7.2)
    assert listed["b"].run_count == 1


def test_deleting_runs_removes_what_they_logged(service: TrackingService) -> None:
    parent = start(service)
    child = start(service, parent_id=parent)
    service.log(LOCAL_OWNER, metrics(parent, ("x", 1.0, 0)))
    assert service.delete_runs(LOCAL_OWNER, [parent]) == 1
    with pytest.raises(NotFound):
        service.get_run(LOCAL_OWNER, parent)
    assert service.get_run(LOCAL_OWNER, child).run.parent_id is None


def test_roles_are_checked(service: TrackingService) -> None:
    run_id = start(service)
    viewer = Principal("vera", roles={P: Role.VIEWER})
    contributor = Principal("carl", roles={P: Role.CONTRIBUTOR})
    assert service.get_run(viewer, run_id).run.id == run_id
    with pytest.raises(PermissionDenied):
        service.log(viewer, metrics(run_id, ("x", 1.0, 0)))
    with pytest.raises(PermissionDenied):
        service.create_run(viewer, P, RunSpec(experiment="exp", name="nope"))
    with pytest.raises(PermissionDenied):  # someone else's run
        service.delete_runs(contributor, [run_id])
    with pytest.raises(PermissionDenied):
        service.search_runs(Principal("nobody"), P)


def test_bad_names_and_huge_values_are_refused(service: TrackingService) -> None:
    with pytest.raises(InvalidInput, match="experiment name"):
        start(service, experiment="")
    with pytest.raises(InvalidInput, match="the limit is 8,000"):
        start(service, tags={"big": "x" * (VALUE_MAX + 1)})


def test_writing_runs_together_stays_in_one_project(service: TrackingService) -> None:
    from shipyard.tracking.entities import RunEnd, RunOutcome, RunStart

    theirs = service.create_run(LOCAL_OWNER, "other", RunSpec("exp", "theirs")).id
    done = RunOutcome(RunStatus.FINISHED)
    member = Principal(name="ann", roles={P: Role.CONTRIBUTOR})
    with pytest.raises(NotFound):  # a run ann may not read is unknown to her, as any id
        service.write_runs(member, P, [RunEnd(theirs, done)], [])
    with pytest.raises(InvalidInput, match="not a run of project"):
        service.write_runs(LOCAL_OWNER, P, [RunEnd(theirs, done)], [RunStart(RunSpec("e", "x"))])
    assert service.get_runs(LOCAL_OWNER, [theirs])[0].status is RunStatus.RUNNING
    with pytest.raises(PermissionDenied):
        service.write_runs(Principal(name="vic", roles={P: Role.VIEWER}), P, [],
                           [RunStart(RunSpec("e", "x"))])  # fmt: skip
