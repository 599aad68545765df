"""Running the command a breach triggers (retraining, a pipeline, a page).

The command is a list of words, run without a shell, in the workspace root,
with a timeout (its whole process group is killed when it runs over). It
learns what happened from its environment:

* ``SHIPYARD_MONITOR`` — the monitor's name; ``SHIPYARD_MONITOR_MODEL`` — the model;
* ``SHIPYARD_MONITOR_BREACHES`` — the breach kinds, comma-separated;
* ``SHIPYARD_MONITOR_REPORT`` — a JSON file holding the full result.

Its exit code is audited (``monitor.trigger``). Output is kept (the last
4 KiB of each stream) for the audit detail and the log.
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

if TYPE_CHECKING:
    from shipyard.monitoring.live.result import MonitorResult

__all__ = ["TriggerOutcome", "run_trigger"]

_TAIL = 4096


@dataclass(frozen=True)
class TriggerOutcome:
    command: tuple[str, ...]
    exit_code: int | None
    """None when the command could not start or was killed for running over."""
    seconds: float
    timed_out: bool = False
    error: str | None = None
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": list(self.command), "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3), "timed_out": self.timed_out, "error": self.error,
            "output": self.output[-1000:],
        }  # fmt: skip


def run_trigger(
    command: tuple[str, ...],
    result: MonitorResult,
    *,
    timeout: timedelta,
    cwd: Path | None,
    report: dict[str, Any],
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
