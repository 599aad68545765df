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
   (``monitor.notify``, ``monitor.trigger`` with the exit code and the runs
   the command started), naming the stored result;
4. it stores the result (report object + ``monitor_results`` row + audit
   entry ``monitor.run``), which the ``/metrics`` collectors export.

(Step 4 happens before step 3 is taken, so the actions can name the result.)

Against a team server (``ctx.monitoring``) steps 1, 2 and 4 run on the server
(:func:`evaluate`, where the inference log is) and step 3 on the client, with
its own webhooks and command (:func:`take_actions`), audited by the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ConfigError
from shipyard.core.monitors import MonitorConfig
from shipyard.core.principal import Role
from shipyard.monitoring.live.result import MonitorResult
from shipyard.monitoring.live.results_store import (
    StoredResult,
    finite,
    get_result,
    history,
    history_point,
    previous_notified,
    save_result,
)
from shipyard.monitoring.live.runner import GivenInputs, run_monitor
from shipyard.monitoring.live.triggers import TriggerOutcome, run_trigger, triggered_runs
from shipyard.monitoring.live.webhooks import WebhookOutcome, post_all, resolve_url, slack_payload
from shipyard.store.audit import record

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.profiling.reader import Progress

__all__ = [
    "MonitorRun",
    "Targets",
    "evaluate",
    "monitor",
    "record_actions",
    "record_outcomes",
    "should_notify",
    "take_actions",
]


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


@dataclass(frozen=True)
class Targets:
    """Whether a monitor has anyone to tell: webhooks, and a command to run on a breach."""

    webhooks: bool
    trigger: bool

    @classmethod
    def of(cls, config: MonitorConfig) -> Targets:
        return cls(bool(config.webhooks), bool(config.on_breach))

    def any_for(self, event: str) -> bool:
        return self.webhooks or (event == "breach" and self.trigger)


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
    run = evaluate(ctx, config, now=now, interval_s=interval_s, act=act, save=save,
                   progress=progress, min_sample=min_sample)  # fmt: skip
    if run.event is not None:
        take_actions(ctx, config, run)
        record_actions(ctx, config.name, run)
    return run


def evaluate(
    ctx: Context,
    config: MonitorConfig,
    *,
    now: datetime | None = None,
    interval_s: float | None = None,
    act: bool = True,
    save: bool = True,
    progress: Progress | None = None,
    min_sample: int | None = None,
    given: GivenInputs | None = None,
    targets: Targets | None = None,
) -> MonitorRun:
    """Run ``config`` once where the inference log is, decide whether to notify (``act``;
    ``targets``: whom there is to tell, default the config's) and store the result
    (``save``); nobody is told yet (:func:`take_actions`). ``given``: the reference and
    suite a remote client resolved on its side."""
    if save or act:
        ctx.principal.require(Role.CONTRIBUTOR, ctx.project, "run monitors")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    result = run_monitor(ctx, config, now=now, progress=progress, min_sample=min_sample,
                         given=given)  # fmt: skip
    run = MonitorRun(result)
    past = history(ctx, config.name, limit=30) if save or act else []
    result.history = [history_point(p) for p in past]
    previous = _before(past)
    if act:
        event = should_notify(result, previous, previous_notified(ctx, config.name), config, now)
        if event is not None and (targets or Targets.of(config)).any_for(event):
            run.event = event
    if save:
        run.stored = save_result(ctx, result, interval_s=interval_s, notified=run.event is not None)
    return run


def take_actions(ctx: Context, config: MonitorConfig, run: MonitorRun) -> None:
    """Post ``run.event`` to the webhooks and, for a breach, run ``on_breach`` here (in
    the workspace root), then look up the runs it started in ``ctx``'s project."""
    assert run.event is not None
    urls = []
    for spec in config.webhooks:
        try:
            urls.append(resolve_url(spec))
        except ConfigError as exc:
            run.problems.append(exc.one_line())
    payload = slack_payload(run.result, resolved=run.event == "resolved")
    run.webhooks = post_all(urls, finite(payload))
    if run.event == "breach" and config.on_breach:
        result_id = run.stored.id if run.stored is not None else None
        run.trigger = run_trigger(
            config.on_breach,
            run.result,
            timeout=config.trigger_timeout,
            cwd=ctx.settings.workspace,
            report=finite(run.result.to_dict()),
            result_id=result_id,
        )
        if result_id is not None:
            run.trigger = replace(run.trigger, runs=triggered_runs(ctx, result_id))


def record_actions(ctx: Context, monitor: str, run: MonitorRun) -> None:
    """Audit what :func:`take_actions` did (``monitor.notify``, ``monitor.trigger``)."""
    record_outcomes(
        ctx, monitor, run.event or "breach", run.result.breach_kinds,
        [o.to_dict() for o in run.webhooks], run.problems,
        run.trigger.to_dict() if run.trigger is not None else None,
        result=run.stored.id if run.stored is not None else None,
    )  # fmt: skip


def record_outcomes(
    ctx: Context,
    monitor: str,
    event: str,
    breaches: list[str],
    webhooks: list[dict[str, Any]],
    problems: list[str],
    trigger: dict[str, Any] | None,
    *,
    result: str | None = None,
) -> None:
    """The audit entries of a run's actions, as any side reports them; contributors.
    ``result``: the stored result that acted (:class:`NotFound` unless it is one of
    ``monitor``'s in the project), kept in each entry so its page can show them."""
    ctx.principal.require(Role.CONTRIBUTOR, ctx.project, "run monitors")
    if result is not None:
        get_result(ctx, monitor, result)
    if not webhooks and not problems and trigger is None:
        return
    target = f"monitor:{monitor}"
    named = {"result": result} if result is not None else {}
    with ctx.db.write() as session:
        for outcome in webhooks:
            record(
                session, ctx.principal, "monitor.notify", target, project=ctx.project,
                detail={"event": event, "breaches": breaches, **outcome, **named},
            )  # fmt: skip
        for problem in problems:
            record(
                session, ctx.principal, "monitor.notify", target, project=ctx.project,
                detail={"event": event, "ok": False, "error": problem, **named},
            )  # fmt: skip
        if trigger is not None:
            record(
                session, ctx.principal, "monitor.trigger", target, project=ctx.project,
                detail={"breaches": breaches, **trigger, **named},
            )  # fmt: skip
