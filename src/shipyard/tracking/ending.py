"""Ending a run only once its logged values are confirmed.

:meth:`ActiveRun.end <shipyard.tracking.run.ActiveRun.end>` (and the exit of
the process) comes here. The batches kept from earlier flushes are sent first
(every run's, in order, each with its key), then the run's end together with
its last values, in one transaction; each keeps trying until
``client.retry_deadline_s``. A run is recorded as meant (``finished``…) only
when every value it logged is confirmed:

* values the store refused for good (a 4xx) make the run end ``failed``;
* values whose fate is still unknown at the deadline: the SDK tries once more
  to end the run ``failed`` (if the store answers now) and otherwise leaves
  it for the liveness check to mark killed; never ``finished``.

What was not stored goes to a spool file (:mod:`shipyard.tracking.spool`),
with its keys and the end meant for the run, and one warning line names the
run, how many values and the file: ``shipyard runs sync`` replays it.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

from shipyard.core.errors import ShipyardError
from shipyard.core.redact import redact_uri
from shipyard.tracking.batching import RETRY_LATER, BatchLogger, Pending, new_key
from shipyard.tracking.entities import LogBatch, RunStatus
from shipyard.tracking.spool import (
    SpooledBatch,
    SpooledEnd,
    append_spool,
    spool_header,
    spool_path,
)

if TYPE_CHECKING:
    from shipyard.tracking.backend import TrackingBackend
    from shipyard.tracking.run import ActiveRun

__all__ = ["confirm_run", "end_confirmed", "spool_leftovers"]


def end_confirmed(run: ActiveRun, meant: RunStatus) -> RunStatus:
    """End ``run`` as ``meant`` once its values are confirmed; returns how it ended.

    Raises what the store answers to the end itself (the run ended or deleted
    elsewhere), or an interruption, after spooling what was not stored.
    """
    logger = run.logger
    with logger.sending:
        logger.unwatch(run.id)
        final = logger.take(run.id)
        ending = _Ending(run, logger.clock() + logger.deadline_s)
        try:
            logger.send_pending(ending.deadline)
        except BaseException as exc:  # RETRY_LATER, or Ctrl-C while waiting
            ending.problem = exc
        unknown, refused = logger.withdraw(run.id)
        status = RunStatus.FAILED if refused else meant
        if ending.problem is None:
            final = ending.send(status, final, refused)
            status = RunStatus.FAILED if refused else meant
        elif isinstance(ending.problem, RETRY_LATER):
            ending.fail_if_reachable()
    problem, ended = ending.problem, ending.ended
    if unknown or refused or problem is not None:
        end = None
        if problem is not None:  # the end meant for the run is still to be recorded
            end = SpooledEnd(
                status, ending.resources, None, final, ending.key, logger.writer, ended
            )
        _spool_and_warn(
            run.backend,
            run.id,
            logger,
            unknown,
            refused,
            end,
            problem or ending.refusal,
            ending.state(),
        )
    if problem is not None and not isinstance(problem, RETRY_LATER):
        raise problem
    if ending.refusal is not None:
        raise ending.refusal
    return ended or RunStatus.FAILED


class _Ending:
    """Sending one run's end, and what came of it."""

    def __init__(self, run: ActiveRun, deadline: float) -> None:
        self.run, self.deadline = run, deadline
        self.logger, self.backend = run.logger, run.backend
        self.resources = run.resources()
        self.key = new_key()  # once sent, the end is replayed with this key only
        self.sent = False
        self.ended: RunStatus | None = None
        self.problem: BaseException | None = None  # a fate left unknown, or an interruption
        self.refusal: ShipyardError | None = None  # the store refused the end itself

    def send(self, status: RunStatus, final: LogBatch, refused: list[Pending]) -> LogBatch:
        """Send the end with the last values; returns the values whose fate is unknown."""
        self.sent = True
        try:
            self._end(status, final)
            return LogBatch()
        except ShipyardError as exc:
            if isinstance(exc, RETRY_LATER):
                self.problem = exc  # the end, with its values: replayed with its key
                return final
            if not final:
                self.refusal = exc  # ended or deleted elsewhere
                return final
            refused.append(Pending(self.run.id, self.key, final, exc))
        except BaseException as exc:
            self.problem = exc
            return final
        # Refused with its values, perhaps for them (a param changed elsewhere): without.
        self.key = new_key()
        try:
            self._end(RunStatus.FAILED, LogBatch())
        except ShipyardError as exc:
            if isinstance(exc, RETRY_LATER):
                self.problem = exc
            else:
                self.refusal = exc
        return LogBatch()

    def _end(self, status: RunStatus, batch: LogBatch) -> None:
        patience = max(0.0, self.deadline - self.logger.clock())
        self.backend.end_run(
            self.run.id,
            status,
            self.resources,
            batch=batch or None,
            writer=self.logger.writer,
            key=self.key,
            patience=patience,
        )
        self.ended = status

    def fail_if_reachable(self) -> None:
        """One more try, without retries, to record that the run failed."""
        with contextlib.suppress(ShipyardError):
            self.backend.end_run(
                self.run.id, RunStatus.FAILED, self.resources, writer=self.logger.writer, patience=0
            )
            self.ended = RunStatus.FAILED

    def state(self) -> str:
        if self.ended is not None:
            return f"ended as {self.ended}"
        if self.refusal is not None:
            return "end refused"
        return "end unconfirmed" if self.sent else "not ended"


def confirm_run(run: ActiveRun) -> None:
    """Write a run's values without ending it (a run this process does not own)."""
    logger = run.logger
    problem: BaseException | None = None
    with logger.sending:
        final = logger.take(run.id)
        if final:
            logger.queue(final)
        try:
            logger.send_pending(logger.clock() + logger.deadline_s)
        except BaseException as exc:
            problem = exc
        unknown, refused = logger.withdraw(run.id)
    if unknown or refused:
        _spool_and_warn(run.backend, run.id, logger, unknown, refused, None, problem, "")
    if problem is not None and not isinstance(problem, RETRY_LATER):
        raise problem


def spool_leftovers(backend: TrackingBackend, logger: BatchLogger) -> None:
    """At exit, after the last flush: spool whatever a logger still holds, by run."""
    with logger.sending:
        unknown, refused = logger.withdraw()
    for run_id in dict.fromkeys(p.run_id for p in [*unknown, *refused]):
        mine = [p for p in unknown if p.run_id == run_id]
        theirs = [p for p in refused if p.run_id == run_id]
        _spool_and_warn(backend, run_id, logger, mine, theirs, None, None, "")


def _spool_and_warn(
    backend: TrackingBackend,
    run_id: str,
    logger: BatchLogger,
    unknown: list[Pending],
    refused: list[Pending],
    end: SpooledEnd | None,
    problem: BaseException | None,
    state: str,
) -> None:
    """Append what was not stored to the run's spool file and say so in one line
    (``state``: what became of the run's end, if this process ends it)."""
    records = [SpooledBatch(p.batch, p.key, logger.writer).record() for p in unknown]
    records += [
        SpooledBatch(p.batch, p.key, logger.writer, _why(p.error)).record() for p in refused
    ]
    if end is not None:
        records.append(end.record())
    lost = sum(len(p.batch) for p in unknown) + (len(end.batch) if end is not None else 0)
    denied = sum(len(p.batch) for p in refused)
    context = getattr(backend, "context", None)
    settings = context.settings if context is not None else None
    where = redact_uri(context.metadata_uri) if context is not None else ""
    parts = []
    because = f" ({_why(problem)})" if problem is not None else ""
    if lost:
        parts.append(f"{lost} logged value(s) not confirmed by {where or 'the store'}{because}")
    elif end is not None:
        parts.append(f"its end not confirmed by {where or 'the store'}{because}")
    if denied:
        parts.append(f"{denied} refused ({_why(refused[0].error)})")
    counted = " and ".join(parts) or "its end was not recorded"
    try:
        path = spool_path(settings, run_id)
        header = spool_header(run_id, backend.project, where, _token_id(backend))
        append_spool(path, header, records)
    except (OSError, ShipyardError) as exc:
        _warn(f"run {run_id}: {counted}, and they could not be spooled ({exc}): they are lost")
        return
    replay = "replay with `shipyard runs sync`" if lost or end else "kept for inspection"
    head = f"run {run_id} {state}" if state else f"run {run_id}"
    _warn(f"{head}: {counted}; kept in {path} ({replay})")


def _why(error: BaseException | None) -> str:
    if error is None:
        return ""
    if isinstance(error, ShipyardError):
        return " ".join(error.message.split())
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _token_id(backend: TrackingBackend) -> str:
    client = getattr(backend, "client", None)
    return str(getattr(client, "token_id", "") or "")


def _warn(message: str) -> None:
    # One line on stderr, whatever the logging setup: this must not go unseen.
    print(f"shipyard: warning: {message}", file=sys.stderr, flush=True)
