"""A monitor run stored, notified and acted on: webhooks to a real HTTP server, triggers, audit."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shipyard.context import Context
from shipyard.core.monitors import MonitorConfig
from shipyard.monitoring.live.results_store import history, latest_results, load_report
from shipyard.monitoring.live.service import monitor
from shipyard.monitoring.live.webhooks import post_webhook
from shipyard.objects.references import collect_references
from shipyard.store.audit import list_events, verify
from tests.monitoring.live.conftest import NOW, LogWriter, columns_of, frame


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records bodies, answers ``statuses`` in turn."""

    statuses: list[int] = field(default_factory=list)
    stalled: bool = False
    """Hold every answer until the test ends (a webhook that never answers in time)."""
    release: threading.Event = field(default_factory=threading.Event)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int:
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.stalled:
                state.release.wait(60)
            state.bodies.append(json.loads(body))
            status = state.answer()
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/SECRET"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def drifting(log: LogWriter, hours_ago: float, shift: float = 1.0) -> None:
    log.predictions(columns_of(frame(1200, shift=shift, seed=int(hours_ago))),
                    at=NOW - timedelta(hours=hours_ago))  # fmt: skip


def config(reference: Path, **fields: Any) -> MonitorConfig:
    return MonitorConfig(
        name="churn", model="churn", reference=str(reference), multivariate=False, **fields
    )


def test_a_run_is_stored_with_its_report_and_audited(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    drifting(log, 2)
    run = monitor(ctx, config(reference), now=NOW, interval_s=3600)
    assert run.stored is not None
    assert run.stored.status == "breach"
    latest = latest_results(ctx.db, ctx.project)
    assert [(r.monitor, r.breaches, r.interval_s) for r in latest] == [("churn", ["drift"], 3600)]
    report = load_report(ctx, latest[0])
    assert report["type"] == "shipyard.monitor_result"
    assert report["drift"]["dataset_drift"]
    assert str(latest[0].report_digest) in {str(d) for d in collect_references(ctx).digests}
    with ctx.db.read() as session:
        events = list_events(session, action="monitor.run")
        assert events[0].target == "monitor:churn"
        assert events[0].detail["breaches"] == ["drift"]
        assert verify(session) == []
    monitor(ctx, config(reference), now=NOW + timedelta(hours=1))
    assert len(history(ctx, "churn")) == 2
    assert len(latest_results(ctx.db, ctx.project)) == 1  # the newest only


def test_breaches_post_slack_messages_once_then_after_repeat_and_on_resolution(
    ctx: Context,
    log: LogWriter,
    reference: Path,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEAM_HOOK", receiver.url)
    cfg = config(reference, webhooks=("env:TEAM_HOOK",), repeat=timedelta(hours=6))
    drifting(log, 3)
    first = monitor(ctx, cfg, now=NOW)
    assert first.event == "breach"
    assert [w.ok for w in first.webhooks] == [True]
    assert first.webhooks[0].target.startswith("127.0.0.1:")
    message = receiver.bodies[-1]
    assert message["text"].startswith(":rotating_light: Shipyard monitor churn: drift")
    assert message["blocks"][0]["type"] == "header"
    assert message["shipyard"]["breaches"] == ["drift"]
    assert message["shipyard"]["event"] == "breach"
    assert monitor(ctx, cfg, now=NOW + timedelta(hours=1)).event is None  # unchanged: quiet
    assert len(receiver.bodies) == 1
    assert monitor(ctx, cfg, now=NOW + timedelta(hours=7)).event == "breach"  # reminded
    # the drifted batch has left the window: an empty window, then too few rows for a
    # drift verdict, decide nothing, so neither says "resolved" (nor repeats the breach)
    assert monitor(ctx, cfg, now=NOW + timedelta(hours=22)).result.status == "no_data"
    log.predictions(columns_of(frame(3, seed=5)), at=NOW + timedelta(hours=23))
    undecided = monitor(ctx, cfg, now=NOW + timedelta(hours=24))
    assert (undecided.result.status, undecided.event) == ("not_enough_data", None)
    assert len(receiver.bodies) == 2
    log.predictions(columns_of(frame(1200, seed=6)), at=NOW + timedelta(hours=39))  # clean
    resolved = monitor(ctx, cfg, now=NOW + timedelta(hours=40))
    assert resolved.event == "resolved"
    assert resolved.result.breaches == []
    assert receiver.bodies[-1]["shipyard"]["event"] == "resolved"
    assert len(receiver.bodies) == 3
    with ctx.db.read() as session:
        notes = list_events(session, action="monitor.notify")
    assert len(notes) == 3
    assert all("SECRET" not in json.dumps(n.detail) for n in notes)  # the URL is a secret


def test_webhooks_retry_server_errors_and_report_failures(receiver: Receiver) -> None:
    receiver.statuses = [503, 500]
    ok = post_webhook(receiver.url, {"text": "x"}, backoff=0.01)
    assert ok.ok
    assert ok.attempts == 3
    assert ok.status == 200
    receiver.statuses = [404]
    refused = post_webhook(receiver.url, {"text": "x"}, backoff=0.01)
    assert not refused.ok
    assert refused.attempts == 1
    assert refused.status == 404


def test_a_slow_webhook_times_out_instead_of_hanging(receiver: Receiver) -> None:
    receiver.stalled = True
    outcome = post_webhook(receiver.url, {"text": "x"}, timeout=0.2, attempts=2, backoff=0.01)
    assert not outcome.ok
    assert outcome.attempts == 2
    assert "timed out" in (outcome.error or "")


def test_an_unreachable_webhook_or_unset_variable_does_not_stop_the_run(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    drifting(log, 1)
    cfg = config(reference, webhooks=("env:NOT_SET_ANYWHERE", "http://127.0.0.1:9/hook"))
    run = monitor(ctx, cfg, now=NOW)
    assert run.stored is not None
    assert run.event == "breach"
    assert any("NOT_SET_ANYWHERE" in p for p in run.problems)
    assert [w.ok for w in run.webhooks] == [False]


def test_a_breach_runs_the_trigger_with_the_result_and_audits_its_exit_code(
    ctx: Context, log: LogWriter, reference: Path, workspace: Path
) -> None:
    script = workspace / "retrain.py"
    script.write_text(
        "import json, os, sys\n"
        "result = json.load(open(os.environ['SHIPYARD_MONITOR_REPORT']))\n"
        "open('retrained.txt', 'w').write(os.environ['SHIPYARD_MONITOR_BREACHES'] + ' '\n"
        "    + result['monitor'])\n"
        "sys.exit(3)\n"
    )
    drifting(log, 1)
    run = monitor(ctx, config(reference, on_breach=(sys.executable, "retrain.py")), now=NOW)
    assert run.trigger is not None
    assert run.trigger.exit_code == 3
    assert (workspace / "retrained.txt").read_text() == "drift churn"
    with ctx.db.read() as session:
        (event,) = list_events(session, action="monitor.trigger")
    assert event.detail["exit_code"] == 3
    assert event.detail["command"][-1] == "retrain.py"
    again = monitor(ctx, config(reference, on_breach=(sys.executable, "retrain.py")),
                    now=NOW + timedelta(minutes=5))  # fmt: skip
    assert again.trigger is None  # the same breach does not retrain twice


def test_a_trigger_that_runs_over_is_killed(ctx: Context, log: LogWriter, reference: Path) -> None:
    drifting(log, 1)
    slow = (sys.executable, "-c", "import time; time.sleep(60)")
    run = monitor(ctx, config(reference, on_breach=slow, trigger_timeout=timedelta(seconds=0.5)),
                  now=NOW)  # fmt: skip
    assert run.trigger is not None
    assert run.trigger.timed_out
    assert run.trigger.exit_code is None
    with ctx.db.read() as session:
        (event,) = list_events(session, action="monitor.trigger")
    assert event.detail["timed_out"] is True


def test_a_viewer_cannot_record_monitor_results(ctx: Context, reference: Path) -> None:
    from shipyard.core.errors import PermissionDenied
    from shipyard.core.principal import Principal, Role

    viewer = ctx.as_principal(Principal(name="v", kind="user", roles={ctx.project: Role.VIEWER}))
    with pytest.raises(PermissionDenied):
        monitor(viewer, config(reference), now=NOW)
    assert monitor(viewer, config(reference), now=NOW, save=False, act=False).stored is None
