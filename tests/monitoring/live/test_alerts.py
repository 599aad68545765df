"""A breach's consequences read back for the monitor's page: the webhook posts and the
``on_breach`` command, named by the result that acted, with the runs the command
started (a run, and a pipeline run started by a command inside it), found by the tag
every run started inside it gets."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import shipyard
from shipyard.context import Context
from shipyard.core.errors import NotFound, PermissionDenied
from shipyard.core.monitors import TRIGGER_RESULT_TAG, MonitorConfig
from shipyard.core.principal import Principal, Role
from shipyard.monitoring.live.alerts import alerts
from shipyard.monitoring.live.service import monitor
from shipyard.store.audit import list_events
from tests.monitoring.live.conftest import NOW, LogWriter, columns_of, frame
from tests.monitoring.live.test_service import Receiver, receiver  # noqa: F401  (fixture)

FLOWS = """
from shipyard import pipeline, step


@step
def prepare(n: int) -> list:
    return list(range(n))


@pipeline
def nightly(n: int = 3) -> None:
    prepare(n)
"""

# Starts a run itself, then a pipeline in a command of its own (the tag goes through).
RETRAIN = """
import subprocess, sys
from pathlib import Path

import shipyard

with shipyard.start_run("churn", "retrain") as run:
    run.log_metric("accuracy", 0.91)
shipyard_cli = Path(sys.executable).with_name("shipyard")
subprocess.run([str(shipyard_cli), "pipeline", "run", "flows:nightly"], check=True)
"""


def _config(reference: Path, **fields: Any) -> MonitorConfig:
    return MonitorConfig(
        name="churn", model="churn", reference=str(reference), multivariate=False, **fields
    )


def test_a_breach_lists_its_webhook_and_the_runs_its_trigger_started(
    ctx: Context,
    log: LogWriter,
    reference: Path,
    workspace: Path,
    receiver: Receiver,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (workspace / "flows.py").write_text(FLOWS)
    (workspace / "retrain.py").write_text(RETRAIN)
    with shipyard.start_run("churn", "by hand", context=ctx):
        pass  # started outside any trigger: never listed
    monkeypatch.setenv("TEAM_HOOK", receiver.url)
    log.predictions(columns_of(frame(1200, shift=1.0)), at=NOW - timedelta(hours=1))
    config = _config(reference, webhooks=("env:TEAM_HOOK",),
                     on_breach=(sys.executable, "retrain.py"))  # fmt: skip
    run = monitor(ctx, config, now=NOW)
    assert run.stored is not None
    assert run.trigger is not None
    assert run.trigger.exit_code == 0, run.trigger.output

    trigger, webhook = alerts(ctx, "churn")  # newest first
    assert (webhook.kind, webhook.ok, webhook.status, webhook.event) == (
        "webhook", True, 200, "breach"
    )  # fmt: skip
    assert webhook.channel.startswith("127.0.0.1:")  # the host, never the secret URL
    assert (trigger.kind, trigger.ok, trigger.exit_code) == ("trigger", True, 0)
    assert trigger.channel.endswith("retrain.py")
    assert webhook.result == trigger.result == run.stored.id
    assert [(r.name, r.pipeline) for r in trigger.runs] == [("retrain", None),
                                                            ("nightly", "nightly")]  # fmt: skip
    for started in trigger.runs:
        tags = ctx.tracking.get_run(started.id).run.tags
        assert tags[TRIGGER_RESULT_TAG] == run.stored.id
        assert tags["shipyard.monitor"] == "churn"
    with ctx.db.read() as session:
        (entry,) = list_events(session, action="monitor.trigger")
    assert [r["id"] for r in entry.detail["runs"]] == [r.id for r in trigger.runs]

    quiet = monitor(ctx, config, now=NOW + timedelta(minutes=5))  # the same breach: quiet
    assert quiet.trigger is None
    assert len(alerts(ctx, "churn")) == 2
    assert len(alerts(ctx, "churn", limit=1)) == 1


def test_alerts_are_for_viewers_of_a_monitor_that_has_results(
    ctx: Context, log: LogWriter, reference: Path
) -> None:
    with pytest.raises(NotFound, match="no stored result of monitor 'churn'"):
        alerts(ctx, "churn")
    log.predictions(columns_of(frame(300)), at=NOW - timedelta(hours=1))
    monitor(ctx, _config(reference), now=NOW)
    assert alerts(ctx, "churn") == []  # no breach, nobody told
    outsider = ctx.as_principal(Principal(name="o", kind="user", roles={"other": Role.MAINTAINER}))
    with pytest.raises(PermissionDenied):
        alerts(outsider, "churn")
