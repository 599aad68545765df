"""Running the command a breach triggers (retraining, a pipeline, a page).

The command is a list of words, run without a shell, in the workspace root,
with a timeout (its whole process group is killed when it runs over). It
learns what happened from its environment:

* ``SHIPYARD_MONITOR`` — the monitor's name; ``SHIPYARD_MONITOR_MODEL`` — the model;
* ``SHIPYARD_MONITOR_BREACHES`` — the breach kinds, comma-separated;
* ``SHIPYARD_MONITOR_REPORT`` — a JSON file holding the full result;
* ``SHIPYARD_MONITOR_RESULT`` — the id of the stored result (when it was stored).

Its exit code is audited (``monitor.trigger``). Output is kept (the last
4 KiB of each stream) for the audit detail and the log. A run started inside
the command (``shipyard run``, ``shipyard pipeline run``, ``start_run``) is
tagged with that result id (:func:`~shipyard.core.monitors.triggered_tags`);
:func:`triggered_runs` finds those runs afterwards, and the audit entry lists
them, so the monitor's page links the retraining it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ShipyardError
from shipyard.core.monitors import TRIGGER_RESULT_ENV, TRIGGER_RESULT_TAG
from shipyard.pipelines.record import PIPELINE_TAG

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.monitoring.live.result import MonitorResult

__all__ = ["TriggerOutcome", "TriggeredRun", "run_trigger", "triggered_runs"]

_TAIL = 4096
_MAX_RUNS = 50


@dataclass(frozen=True)
class TriggeredRun:
    """A run the command started: its page is ``#/runs/ID``, or ``#/pipelines/ID``."""

    id: str
    name: str
    pipeline: str | None = None
    """The pipeline's name when the run is a pipeline run."""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "pipeline": self.pipeline}


@dataclass(frozen=True)
class TriggerOutcome:
    command: tuple[str, ...]
    exit_code: int | None
    """None when the command could not start or was killed for running over."""
    seconds: float
    timed_out: bool = False
    error: str | None = None
    output: str = ""
    runs: tuple[TriggeredRun, ...] = ()

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": list(self.command), "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3), "timed_out": self.timed_out, "error": self.error,
            "output": self.output[-1000:], "runs": [r.to_dict() for r in self.runs],
        }  # fmt: skip


def run_trigger(
    command: tuple[str, ...],
    result: MonitorResult,
    *,
    timeout: timedelta,
    cwd: Path | None,
    report: dict[str, Any],
    result_id: str | None = None,
) -> TriggerOutcome:
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shipyard-monitor-") as scratch:
        report_path = Path(scratch) / "result.json"
        report_path.write_text(json.dumps(report, default=str))
        env = {
            **os.environ,
            "SHIPYARD_MONITOR": result.monitor,
            "SHIPYARD_MONITOR_MODEL": result.model,
            "SHIPYARD_MONITOR_BREACHES": ",".join(result.breach_kinds),
            "SHIPYARD_MONITOR_REPORT": str(report_path),
        }
        env.pop(TRIGGER_RESULT_ENV, None)  # never a result id of some outer command
        if result_id is not None:
            env[TRIGGER_RESULT_ENV] = result_id
        try:
            process = subprocess.Popen(
                list(command),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a timeout kills all of it
            )
        except OSError as exc:
            return TriggerOutcome(
                command, None, time.monotonic() - start, error=f"could not start: {exc.strerror}"
            )
        try:
            output, _ = process.communicate(timeout=timeout.total_seconds())
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(process)
            output, _ = process.communicate()
            timed_out = True
    text = output.decode("utf-8", "replace")[-_TAIL:] if output else ""
    seconds = time.monotonic() - start
    if timed_out:
        return TriggerOutcome(
            command, None, seconds, True, f"killed after {timeout.total_seconds():g} s", text
        )
    return TriggerOutcome(command, process.returncode, seconds, output=text)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def triggered_runs(ctx: Context, result_id: str) -> tuple[TriggeredRun, ...]:
    """The top-level runs the command of ``result_id`` started in ``ctx``'s project, oldest
    first (none when the tracking store cannot say: the trigger's outcome stands anyway)."""
    # top-level runs only, as they are tagged (a child belongs to its parent)
    query = f"tags.`{TRIGGER_RESULT_TAG}` = '{result_id}' and parent_id is null"
    backend = ctx.open_tracking()
    try:
        page = backend.search_runs(filter=query, order_by="start_time", limit=_MAX_RUNS)
    except ShipyardError:
        return ()
    finally:
        backend.close()
    return tuple(TriggeredRun(r.id, r.name, r.tags.get(PIPELINE_TAG)) for r in page.runs)
