"""The live-monitoring service: run a monitor, store its result, act on breaches.

:func:`monitor` is what ``shipyard monitor run`` and the scheduler call:

1. :func:`~shipyard.monitoring.live.runner.run_monitor` computes the result;
2. it decides whether to notify: a new or changed set of breaches does, an
   unchanged one only once per ``repeat`` (24 h by default), and the first
   run without breaches after some notifies that things are back to normal —
   but a run that could not decide (an empty window, or too little data for a
   drift verdict when drift was the breach) says nothing, and the state before
   it still stands;
3. it posts the webhooks (in parallel, bounded by timeouts and retries) and,
   for breaches, runs the ``on_breach`` command — each audited
   (``monitor.notify``, ``monitor.trigger`` with the exit code);
4. it stores the result (report object + ``monitor_results`` row + audit
   entry ``monitor.run``), which the ``/metrics`` collectors export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ConfigError
from shipyard.core.monitors import MonitorConfig
from shipyard.core.principal import Role
from shipyard.monitoring.live.result import MonitorResult
from shipyard.monitoring.live.results_store import (
    StoredResult,
    finite,
    history,
    previous_notified,
    save_result,
)
from shipyard.monitoring.live.runner import run_monitor
from shipyard.monitoring.live.triggers import TriggerOutcome, run_trigger
from shipyard.monitoring.live.webhooks import WebhookOutcome, post_all, resolve_url, slack_payload
from shipyard.store.audit import record

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.profiling.reader import Progress

__all__ = ["MonitorRun", "monitor", "should_notify"]


@dataclass
class MonitorRun:
    result: MonitorResult
    stored: StoredResult | None = None
    event: str | None = None
    """``breach`` or ``resolved`` when this run notified, else None."""
    webhooks: list[WebhookOutcome] = field(default_factory=list)
    trigger: TriggerOutcome | None = None
    problems: list[str] = field(default_factory=list)
    """Actions that could not be taken (a webhook variable unset…)."""


def should_notify(
    result: MonitorResult,
    previous: StoredResult | None,
    last_notified: StoredResult | None,
    config: MonitorConfig,
    now: datetime,
) -> str | None:
    """``breach``, ``resolved`` or None (see the module docstring)."""
    kinds = result.breach_kinds
    if not kinds:
        if previous is None or not previous.breaches or not _decides(result, previous):
            return None
        return "resolved"
    if previous is None or previous.breaches != kinds:
        return "breach"
    if last_notified is None or last_notified.window_end <= now - config.repeat:
        return "breach"
    return None


_UNDECIDED = frozenset({"no_data", "not_enough_data"})
_NEED_A_VERDICT = frozenset({"drift", "prediction_drift"})


def _decides(result: MonitorResult, previous: StoredResult) -> bool:
    """Whether ``result`` can say ``previous``'s breaches are over."""
    if result.status == "no_data":
        return False  # nothing was checked
    return result.status != "not_enough_data" or not set(previous.breaches) & _NEED_A_VERDICT


def _before(past: list[StoredResult]) -> StoredResult | None:
    """The run this one is compared with: runs that could not decide and said nothing
    are passed over, so the breach before them still stands."""
    for stored in reversed(past):
        if stored.status in _UNDECIDED and not stored.notified:
            continue
        return stored
    return None


def monitor(
    ctx: Context,
    config: MonitorConfig,
    *,
    now: datetime | None = None,
    interval_s: float | None = None,
    act: bool = True,
    save: bool = True,
    progress: Progress | None = None,
    min_sample: int | None = None,
) -> MonitorRun:
    """Run ``config`` once; store the result (``save``) and notify/trigger (``act``);
    ``min_sample`` as in :func:`run_monitor`."""
    if save or act:
        ctx.principal.require(Role.CONTRIBUTOR, ctx.project, "run monitors")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    result = run_monitor(ctx, config, now=now, progress=progress, min_sample=min_sample)
    run = MonitorRun(result)
    past = history(ctx, config.name, limit=30) if save or act else []
    result.history = [_point(p) for p in past]
    previous = _before(past)
    if act:
        event = should_notify(result, previous, previous_notified(ctx, config.name), config, now)
        if event is not None and (config.webhooks or (event == "breach" and config.on_breach)):
            run.event = event
            _notify(ctx, config, run, event)
            if event == "breach" and config.on_breach:
                _trigger(ctx, config, run)
    if save:
        run.stored = save_result(ctx, result, interval_s=interval_s, notified=run.event is not None)
    return run


def _notify(ctx: Context, config: MonitorConfig, run: MonitorRun, event: str) -> None:
    urls = []
    for spec in config.webhooks:
        try:
            urls.append(resolve_url(spec))
        except ConfigError as exc:
            run.problems.append(exc.one_line())
    payload = slack_payload(run.result, resolved=event == "resolved")
    run.webhooks = post_all(urls, finite(payload))
    if not run.webhooks and not run.problems:
        return
    with ctx.db.write() as session:
        for outcome in run.webhooks:
            record(
                session, ctx.principal, "monitor.notify", f"monitor:{config.name}",
                project=ctx.project,
                detail={"event": event, "breaches": run.result.breach_kinds, **outcome.to_dict()},
            )  # fmt: skip
        for problem in run.problems:
            record(
                session, ctx.principal, "monitor.notify", f"monitor:{config.name}",
                project=ctx.project, detail={"event": event, "ok": False, "error": problem},
            )  # fmt: skip


def _trigger(ctx: Context, config: MonitorConfig, run: MonitorRun) -> None:
    outcome = run_trigger(
        config.on_breach,
        run.result,
        timeout=config.trigger_timeout,
        cwd=ctx.settings.workspace,
        report=finite(run.result.to_dict()),
    )
    run.trigger = outcome
    with ctx.db.write() as session:
        record(
            session, ctx.principal, "monitor.trigger", f"monitor:{config.name}",
            project=ctx.project,
            detail={"breaches": run.result.breach_kinds, **outcome.to_dict()},
        )  # fmt: skip


def _point(stored: StoredResult) -> dict[str, Any]:
    gauges = stored.gauges
    return {
        "time": stored.window_end.isoformat(),
        "rows": stored.rows,
        "share_drifted": gauges.get("share_drifted"),
        "performance": gauges.get("performance") or {},
        "breaches": stored.breaches,
    }
