"""``shipyard scheduler``: cron schedules and triggers that start pipelines.

Each pass (:meth:`Scheduler.tick`) looks, for every ``[pipelines.<name>]``
table, at what is due: cron ticks since the last one seen, a new version of
a watched dataset, a new breach of a watched live monitor, a move of a
watched alias. Each is claimed as a row of ``pipeline_triggers`` (unique per
pipeline, source and point) before its run starts, and the run is tagged
with the row's id; so a scheduler killed at any moment neither loses a
trigger nor starts it twice after a restart. Only the holder of the
scheduler lock acts (:mod:`shipyard.pipelines.lock`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from shipyard.core.errors import ShipyardError
from shipyard.core.ids import new_id
from shipyard.core.pipeline_config import PipelineConfig
from shipyard.pipelines.schedules import Plan, effective_schedule, next_tick, publish
from shipyard.pipelines.tables import PipelineTriggerRow

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.pipelines.runner import PipelineResult

__all__ = ["GRACE", "Due", "Scheduler"]

log = logging.getLogger("shipyard.pipelines")
GRACE = timedelta(minutes=5)
"""A tick older than this when first seen was missed (the scheduler was down)."""


@dataclass(frozen=True)
class Due:
    """Something that starts a run (or, with ``run=False``, is only remembered)."""

    pipeline: str
    source: str
    point: str
    reason: str
    run: bool = True


RunPipeline = Callable[[PipelineConfig, str, str], "PipelineResult | None"]
"""``run(config, reason, trigger_id)``: start one pipeline run."""


class Scheduler:
    def __init__(
        self,
        ctx: Context,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        run: RunPipeline | None = None,
        interval_s: float | None = None,
    ) -> None:
        self.ctx = ctx
        self.now = now
        self.run = run or _run_pipeline(ctx)
        self.interval_s = interval_s
        """Seconds between passes, published with them (None: one pass, from cron)."""

    def tick(self) -> list[str]:
        """One pass: claim what is due, publish the schedules, then start every pending
        claim; the run ids started."""
        plans: list[Plan] = []
        now = self.now()
        for config in self.ctx.settings.pipelines.values():
            schedule, problem = effective_schedule(config, self.ctx.settings.workspace)
            if problem is not None:
                log.error("pipeline %s: %s", config.name, problem)
            for due in self._due(config, schedule):
                self._claim(due)
            upcoming = next_tick(schedule, now) if schedule else None
            plans.append(Plan(config, schedule, problem, upcoming))
        publish(self.ctx, plans, now=now, interval_s=self.interval_s)
        return self._start_pending()

    # -- what is due ---------------------------------------------------------------

    def _due(self, config: PipelineConfig, schedule: str | None) -> Iterator[Due]:
        yield from self._ticks(config, schedule)
        for name in config.on_dataset:
            yield from self._changed(config, f"dataset:{name}", self._dataset_version(name))
        for name in config.on_monitor:
            yield from self._changed(config, f"monitor:{name}", self._breach(name))
        for ref in config.on_alias:
            yield from self._changed(config, f"alias:{ref}", self._alias_version(ref))

    def _ticks(self, config: PipelineConfig, schedule: str | None) -> Iterator[Due]:
        if schedule is None:
            return
        from croniter import croniter

        now = self.now()
        last = self._last_point(config.name, "schedule")
        if last is None:  # first pass: begin from now, never from the past
            yield Due(config.name, "schedule", _iso(now), "schedule started", run=False)
            return
        ticks: list[datetime] = []
        cursor = croniter(schedule, datetime.fromisoformat(last))
        while len(ticks) < 1000:
            tick = cursor.get_next(datetime).astimezone(UTC)
            if tick > now:
                break
            ticks.append(tick)
        missed = [t for t in ticks if now - t > GRACE]
        on_time = [t for t in ticks if now - t <= GRACE]
        if missed and config.catch_up == "once" and not on_time:
            on_time, missed = [missed[-1]], missed[:-1]
        for tick in missed:
            reason = f"schedule {schedule}: missed {_iso(tick)}"
            yield Due(config.name, "schedule", _iso(tick), reason, run=False)
        for tick in on_time[-1:]:
            yield Due(config.name, "schedule", _iso(tick), f"schedule {schedule} at {_iso(tick)}")

    def _changed(self, config: PipelineConfig, source: str, point: str | None) -> Iterator[Due]:
        if point is None:
            return
        last = self._last_point(config.name, source)
        if last == point:
            return
        kind, _, what = source.partition(":")
        if last is None and kind != "monitor":  # watching starts now: today's state is the base
            yield Due(config.name, source, point, f"watching {kind} {what}", run=False)
            return
        reason = {
            "dataset": f"dataset {what} has version {point}",
            "monitor": f"monitor {what} breached (result {point})",
            "alias": f"alias {what} moved to version {point}",
        }[kind]
        yield Due(config.name, source, point, reason)

    def _dataset_version(self, name: str) -> str | None:
        from shipyard.core.errors import NotFound

        records = self.ctx.open_datasets()
        try:
            versions = records.versions(self.ctx.principal, self.ctx.project, name)
        except NotFound:
            return None
        return str(max(v.version for v in versions)) if versions else None

    def _breach(self, monitor: str) -> str | None:
        from shipyard.monitoring.live.results_store import history

        breaches = [r for r in history(self.ctx, monitor, limit=20) if r.status == "breach"]
        return breaches[-1].id if breaches else None

    def _alias_version(self, ref: str) -> str | None:
        model, _, alias = ref.partition("@")
        version = self.ctx.registry.alias_version(
            self.ctx.principal, self.ctx.project, model, alias
        )
        return None if version is None else str(version)

    # -- claims and runs -----------------------------------------------------------

    def _last_point(self, pipeline: str, source: str) -> str | None:
        row = PipelineTriggerRow
        query = (
            select(row.point)
            .where(row.project == self.ctx.project, row.pipeline == pipeline, row.source == source)
            .order_by(row.seq.desc())
            .limit(1)
        )
        with self.ctx.db.read() as session:
            return session.scalars(query).first()

    def _claim(self, due: Due) -> None:
        from sqlalchemy import func

        table = PipelineTriggerRow
        try:
            with self.ctx.db.write() as session:
                last = session.scalar(
                    select(func.max(table.seq)).where(table.project == self.ctx.project)
                )
                session.add(PipelineTriggerRow(
                    id=new_id(), seq=(last or 0) + 1, project=self.ctx.project,
                    pipeline=due.pipeline, source=due.source, point=due.point,
                    state="pending" if due.run else "seen", reason=due.reason[:500],
                    created_at=self.now(),
                ))  # fmt: skip
        except ShipyardError:  # claimed already, by an earlier pass (the unique constraint)
            log.debug(
                "trigger %s %s of %s was claimed already", due.source, due.point, due.pipeline
            )

    def _start_pending(self) -> list[str]:
        row = PipelineTriggerRow
        query = (
            select(row)
            .where(row.project == self.ctx.project, row.state == "pending")
            .order_by(row.seq)
        )
        with self.ctx.db.read() as session:
            pending = [(r.id, r.pipeline, r.reason) for r in session.scalars(query)]
        started: list[str] = []
        for trigger_id, pipeline, reason in pending:
            config = self.ctx.settings.pipelines.get(pipeline)
            run_id = self._existing_run(pipeline, trigger_id)
            if run_id is None and config is not None:
                try:
                    result = self.run(config, reason, trigger_id)
                except ShipyardError as error:
                    log.error("pipeline %s (%s) did not start: %s", pipeline, reason, error)
                    continue
                run_id = result.run_id if result is not None else None
                if run_id is not None:
                    started.append(run_id)
                if result is not None and result.status.value != "finished":
                    _announce_failure(config, result, reason)
            self._mark(trigger_id, run_id)
        return started

    def _existing_run(self, pipeline: str, trigger_id: str) -> str | None:
        """The run a killed scheduler started for this claim, if it got that far."""
        from shipyard.pipelines.record import TRIGGER_ID_TAG

        page = self.ctx.tracking.search_runs(
            filter=f"tags.{TRIGGER_ID_TAG} = '{trigger_id}'", limit=1
        )
        return page.runs[0].id if page.runs else None

    def _mark(self, trigger_id: str, run_id: str | None) -> None:
        with self.ctx.db.write() as session:
            found = session.get(PipelineTriggerRow, trigger_id)
            if found is not None:
                found.state, found.run_id = "started", run_id


def _announce_failure(config: PipelineConfig, result: PipelineResult, reason: str) -> None:
    """Post a Slack-compatible message to the pipeline's webhooks (as monitors do)."""
    from shipyard.monitoring.live.webhooks import post_all, resolve_url

    if not config.webhooks:
        return
    failed = {node: r.error or r.state for node, r in result.steps.items() if r.state == "failed"}
    text = (
        f"Shipyard pipeline {config.name} failed at {', '.join(failed) or 'its end'} "
        f"(run {result.run_id}; started by {reason}). "
        f"Resume: shipyard pipeline resume {result.run_id}"
    )
    payload = {"text": text, "pipeline": config.name, "run_id": result.run_id, "failed": failed}
    try:
        urls = [resolve_url(spec) for spec in config.webhooks]
    except ShipyardError as error:
        log.error("pipeline %s: webhooks not posted: %s", config.name, error)
        return
    for outcome in post_all(urls, payload):
        if not outcome.ok:
            log.error("pipeline %s: webhook %s: %s", config.name, outcome.target, outcome.error)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _run_pipeline(ctx: Context) -> RunPipeline:
    def run(config: PipelineConfig, reason: str, trigger_id: str) -> PipelineResult:
        from shipyard.pipelines.loading import load_pipeline
        from shipyard.pipelines.runner import run_pipeline

        pipeline = load_pipeline(config.pipeline, ctx.settings.workspace)
        return run_pipeline(
            pipeline, dict(config.params), context=ctx, trigger=reason, trigger_id=trigger_id
        )

    return run
