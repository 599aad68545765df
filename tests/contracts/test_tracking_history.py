"""Long histories: pages, cursors, ranges and summaries give the same answers everywhere.

The service on SQLite and PostgreSQL (``database``), and the SDK and CLI embedded
and against the team server (``mode``), each checked against the history
computed here from what was logged.
"""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

import shipyard
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.core.principal import LOCAL_OWNER
from shipyard.runs import iter_metric_history, metric_history, metric_history_summary
from shipyard.store.db import Database
from shipyard.tracking import history_store
from shipyard.tracking.entities import LogBatch, MetricPoint, RunSpec
from shipyard.tracking.service import TrackingService
from tests.contracts.sdk_modes import Mode

Logged = tuple[float, int, int]  # value, step, timestamp
NAN, INF = math.nan, math.inf

# Three flushes: the second goes back over steps of the first (a resumed run), the
# third logs steps out of order and repeats a (step, time): order is step, time, log order.
FLUSHES: list[list[Logged]] = [
    [(1.0 / (s + 1), s, 1000 + s) for s in range(30)],
    [(float(s % 7), s, 2000 + s) for s in range(20, 45)],
    [(NAN, 50, 3000), (INF, 44, 3001), (-INF, 10, 1010), (2.5, 10, 1010), (-1.0, 49, 2999)],
]


def _expected(flushes: list[list[Logged]] = FLUSHES) -> list[tuple[int, int, float]]:
    logged = [(s, t, v) for flush in flushes for v, s, t in flush]
    return sorted(logged, key=lambda p: (p[0], p[1]))  # stable: log order on ties


def _same(got: list[tuple[int, int, float]], want: list[tuple[int, int, float]]) -> bool:
    return len(got) == len(want) and all(
        g[:2] == w[:2] and (g[2] == w[2] or (math.isnan(g[2]) and math.isnan(w[2])))
        for g, w in zip(got, want, strict=True)
    )


def _triples(pages: object) -> list[tuple[int, int, float]]:
    return [
        (s, t, v)
        for page in pages  # type: ignore[attr-defined]
        for s, t, v in zip(
            page.steps.tolist(), page.timestamps.tolist(), page.values.tolist(), strict=True
        )
    ]


# -- the service, on each database ---------------------------------------------------------


@pytest.fixture
def service(database: Database) -> TrackingService:
    return TrackingService(database)


def _logged(service: TrackingService) -> str:
    run_id = service.create_run(LOCAL_OWNER, "churn", RunSpec("exp", "long")).id
    for flush in FLUSHES:
        rows = [(run_id, "loss", v, s, t) for v, s, t in flush]
        service.log(LOCAL_OWNER, LogBatch(metrics=rows))
    return run_id


@pytest.mark.parametrize("batch_values", [3, 64, history_store.BATCH_VALUES])
def test_pages_read_the_store_batch_by_batch_in_order(
    service: TrackingService, batch_values: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_store, "BATCH_VALUES", batch_values)
    run_id = _logged(service)
    want = _expected()
    pages = list(service.iter_metric_history(LOCAL_OWNER, run_id, "loss", page_size=8))
    assert _same(_triples(pages), want)
    assert [len(p) for p in pages] == [8] * 7 + [4]
    backwards = service.iter_metric_history(LOCAL_OWNER, run_id, "loss", descending=True)
    assert _same(_triples(backwards), want[::-1])
    ranged = service.iter_metric_history(LOCAL_OWNER, run_id, "loss", start_step=10, end_step=44)
    assert _same(_triples(ranged), [p for p in want if 10 <= p[0] <= 44])
    listed = service.metric_history(LOCAL_OWNER, run_id, "loss")
    assert _same([(p.step, p.timestamp_ms, p.value) for p in listed], want)


def test_short_reads_resume_from_each_cursor(service: TrackingService) -> None:
    run_id = _logged(service)
    for descending in (False, True):
        got, cursor = [], None
        while True:  # one short read per page, as the HTTP API serves them
            page = service.metric_history_page(
                LOCAL_OWNER, run_id[:10], "loss", after=cursor, page_size=6, descending=descending
            )
            got.extend(_triples([page]))
            cursor = page.next_cursor
            if cursor is None:
                break
        assert _same(got, _expected()[:: -1 if descending else 1])
    beyond = service.metric_history_page(LOCAL_OWNER, run_id, "loss", start_step=10**9)
    assert (len(beyond), beyond.next_cursor) == (0, None)


def test_the_summary_is_computed_in_the_store(service: TrackingService) -> None:
    run_id = _logged(service)
    summary = service.metric_history_summary(LOCAL_OWNER, run_id, "loss", 5)
    assert (summary.start_step, summary.end_step, summary.bucket_steps) == (0, 50, 11)
    assert summary.count == len(_expected())
    assert [(b.start_step, b.end_step, b.count) for b in summary.buckets] == [
        (0, 10, 13), (11, 21, 13), (22, 32, 19), (33, 43, 11), (44, 50, 4)
    ]  # fmt: skip
    first = summary.buckets[0]
    assert (first.min.value, first.min.step) == (-INF, 10)
    assert (first.max.value, first.max.step) == (2.5, 10)
    last = summary.buckets[-1]
    assert last.max == MetricPoint("loss", INF, 44, 3001)  # NaN ignored, infinity kept
    assert math.isnan(last.last.value)
    ranged = service.metric_history_summary(LOCAL_OWNER, run_id, "loss", 2, start_step=44)
    assert (ranged.start_step, ranged.end_step, ranged.count) == (44, 50, 4)
    empty = service.metric_history_summary(LOCAL_OWNER, run_id, "nothing", 5)
    assert (empty.count, empty.buckets, empty.start_step) == (0, (), None)


def test_bad_requests_and_unknown_runs(service: TrackingService) -> None:
    run_id = _logged(service)
    for call in (
        lambda: service.iter_metric_history(LOCAL_OWNER, run_id, "loss", start_step=5, end_step=4),
        lambda: service.iter_metric_history(LOCAL_OWNER, run_id, "loss", page_size=0),
        lambda: service.iter_metric_history(LOCAL_OWNER, run_id, "loss", after="nope"),
        lambda: service.metric_history_summary(LOCAL_OWNER, run_id, "loss", 0),
        lambda: service.metric_history_summary(LOCAL_OWNER, run_id, "loss", 10_001),
    ):
        with pytest.raises(InvalidInput):
            call()
    with pytest.raises(NotFound):
        service.iter_metric_history(LOCAL_OWNER, "0" * 26, "loss")  # now, not at the first page


# -- the SDK and the CLI, embedded and against a server ---------------------------------------


def _sdk_run(mode: Mode) -> str:
    with shipyard.start_run(mode.unique("hist"), "long", context=mode.context) as run:
        for flush in FLUSHES:
            run.log_batch([("loss", v, s, t) for v, s, t in flush])
            shipyard.runs.get_run(run.id, context=mode.context)  # flushes: one chunk each
    return run.id


def test_the_sdk_streams_and_summarises_the_same_in_every_mode(mode: Mode) -> None:
    run_id = _sdk_run(mode)
    want = _expected()
    pages = list(iter_metric_history(run_id, "loss", page_size=10, context=mode.context))
    assert _same(_triples(pages), want)
    assert [p.next_cursor is None for p in pages] == [False] * 5 + [True]
    rest = iter_metric_history(run_id, "loss", after=pages[2].next_cursor, context=mode.context)
    assert _same(_triples(rest), want[30:])
    tail = iter_metric_history(run_id, "loss", descending=True, page_size=3, context=mode.context)
    assert _same(_triples([next(iter(tail))]), want[::-1][:3])
    listed = metric_history(run_id, "loss", context=mode.context)
    assert _same([(p.step, p.timestamp_ms, p.value) for p in listed], want)
    summary = metric_history_summary(run_id, "loss", 5, context=mode.context)
    assert [b.count for b in summary.buckets] == [13, 13, 19, 11, 4]
    assert summary.buckets[0].min.value == -INF
    assert len(summary.points()) <= 4 * len(summary.buckets)
    with pytest.raises(NotFound):
        iter_metric_history("0" * 26, "loss", context=mode.context)
    if mode.server is not None:  # the older route: the whole history, streamed
        whole = mode.context.remote.get(f"/api/v1/runs/{run_id}/metric-history", key="loss")
        got = [(p["step"], p["timestamp_ms"], float(p["value"])) for p in whole]
        assert _same(got, want)


def test_the_cli_pages_streams_and_downsamples(mode: Mode) -> None:
    run_id = _sdk_run(mode)
    want = _expected()
    as_json = mode.cli("runs", "history", run_id, "loss", "--json")
    assert as_json.exit_code == 0, as_json.output
    got = [(p["step"], p["timestamp_ms"], float(p["value"])) for p in json.loads(as_json.stdout)]
    assert _same(got, want)
    as_csv = list(
        csv.reader(io.StringIO(mode.cli("runs", "history", run_id, "loss", "--csv").stdout))
    )
    assert as_csv[0] == ["step", "value", "timestamp_ms"]
    assert _same([(int(s), int(t), float(v)) for s, v, t in as_csv[1:]], want)
    table = mode.cli("runs", "history", run_id, "loss", "--limit", "6").stdout
    lines = table.splitlines()
    assert lines[2].split()[0] == "0"
    assert lines[5].split()[0] == "…"
    assert [line.split()[0] for line in lines[6:9]] == ["44", "49", "50"]
    assert f"{len(want)} values, showing the first 3 and the last 3" in table
    assert "lowest -inf at step 10, highest inf at step 44" in table
    every = mode.cli("runs", "history", run_id, "loss", "--all", "--from-step", "44").stdout
    assert [line.split()[0] for line in every.splitlines()[2:]] == [
        str(s) for s, _t, _v in want if s >= 44
    ]
    buckets = mode.cli("runs", "history", run_id, "loss", "--buckets", "5", "--json")
    assert [b["count"] for b in json.loads(buckets.stdout)["buckets"]] == [13, 13, 19, 11, 4]
    drawn = mode.cli("runs", "history", run_id, "loss", "-b", "5").stdout
    assert "0–10" in drawn
    assert f"{len(want)} values in 5 buckets of 11 steps" in drawn
    bad = mode.cli("runs", "history", run_id, "loss", "--from-step", "9", "--to-step", "1")
    assert bad.exit_code == 2
    assert "start step 9 is after end step 1" in bad.output
    none = mode.cli("runs", "history", run_id, "nothing")
    assert "has no values of metric 'nothing'" in none.stdout
    assert mode.cli("runs", "history", run_id, "nothing", "--json").stdout == "[]\n"
