"""``shipyard run -- CMD…``: run any command as a tracked run.

The command inherits the terminal (its output streams live, colours and
progress bars intact) and the environment, plus ``SHIPYARD_RUN_ID`` so that
``shipyard.start_run()`` inside it logs into this run. This process records
the command line, git state and environment, sends heartbeats while the
command runs, and on exit its code, wall time, CPU time and peak memory (from
``wait4``), then marks the run finished (exit 0), failed (other codes) or
killed (ended by a signal).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard.core.errors import InvalidInput
from shipyard.tracking.backend import TrackingBackend
from shipyard.tracking.entities import LogBatch, Resources, Run, RunSpec, RunStatus, Writer
from shipyard.tracking.environment import capture_environment, host_name
from shipyard.tracking.git_state import capture_git_state
from shipyard.tracking.limits import check_key, param_text
from shipyard.tracking.liveness import HEARTBEAT_INTERVAL_S
from shipyard.tracking.resources import from_rusage, gpu_count
from shipyard.tracking.session import RUN_ID_ENV

__all__ = ["CommandOutcome", "run_command"]


@dataclass(frozen=True)
class CommandOutcome:
    run: Run
    status: RunStatus
    exit_code: int
    """The command's exit code; 128 + N when signal N ended it (as shells report)."""
    resources: Resources


def run_command(
    backend: TrackingBackend,
    argv: Sequence[str],
    *,
    experiment: str,
    name: str | None = None,
    tags: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    folder: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> CommandOutcome:
    """Run ``argv`` as a tracked run; raises :class:`InvalidInput` if it cannot start.

    Nothing is recorded for a command that is not found.
    """
    if not argv:
        raise InvalidInput("no command given", hint="usage: shipyard run -- python train.py")
    if shutil.which(argv[0]) is None:
        raise InvalidInput(f"command not found: {argv[0]}", hint="check the spelling and your PATH")
    checked = {check_key(k, "param"): param_text(k, v) for k, v in (params or {}).items()}
    writer = Writer(host_name(), os.getpid())
    run = backend.create_run(
        RunSpec(
            experiment=experiment,
            name=name or Path(argv[0]).name,
            tags=dict(tags or {}),
            host=writer.host,
            pid=writer.pid,
            command=shlex.join(argv),
            git=capture_git_state(folder or Path.cwd()),
            environment=capture_environment(),
        )
    )
    if checked:
        backend.log_batch(LogBatch(params=[(run.id, k, v) for k, v in checked.items()]), writer)
    env = dict(os.environ) | dict(extra_env or {}) | {RUN_ID_ENV: run.id}
    gpus = gpu_count()
    started = time.monotonic()
    # The terminal's Ctrl-C reaches the command too; let it decide, then record.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            process = subprocess.Popen(list(argv), env=env)
        except OSError as exc:
            backend.end_run(run.id, RunStatus.FAILED, Resources(), exit_code=127, writer=writer)
            raise InvalidInput(f"cannot start {argv[0]}: {exc.strerror}") from None
        stop = threading.Event()
        beat = threading.Thread(
            target=_heartbeats,
            args=(backend, run.id, process.pid, started, gpus, writer, stop),
            daemon=True,
        )
        beat.start()
        _, wait_status, usage = os.wait4(process.pid, 0)
        stop.set()
        code = os.waitstatus_to_exitcode(wait_status)
        process.returncode = code
    finally:
        signal.signal(signal.SIGINT, previous)
    resources = from_rusage(usage, time.monotonic() - started, gpus)
    if code == 0:
        status = RunStatus.FINISHED
    elif code < 0:
        status = RunStatus.KILLED
    else:
        status = RunStatus.FAILED
    exit_code = 128 - code if code < 0 else code
    beat.join(timeout=5)
    backend.end_run(run.id, status, resources, exit_code=exit_code, writer=writer)
    return CommandOutcome(run, status, exit_code, resources)


def _heartbeats(
    backend: TrackingBackend,
    run_id: str,
    pid: int,
    started: float,
    gpus: int,
    writer: Writer,
    stop: threading.Event,
) -> None:
    while not stop.wait(HEARTBEAT_INTERVAL_S):
        wall = time.monotonic() - started
        usage = Resources(wall_seconds=wall, cpu_seconds=_cpu_so_far(pid), gpu_seconds=wall * gpus)
        try:
            backend.heartbeat({run_id: usage}, writer)
        except Exception:  # noqa: S112 - a missed heartbeat is retried next interval
            continue


def _cpu_so_far(pid: int) -> float:
    """CPU seconds of a running process, from /proc (0 where /proc is missing)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0
