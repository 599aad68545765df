"""``shipyard run -- CMD…``: run any command as a tracked run.

The command inherits the environment, plus ``SHIPYARD_RUN_ID`` so that
``shipyard.start_run()`` inside it logs into this run. Its standard output and
error are teed: streamed live to this process's own, and captured into the
run's artifacts ``logs/stdout.log`` and ``logs/stderr.log`` (the first 64 MiB
of each; ``capture=False`` lets the command inherit the terminal instead).
Python children are told to stop buffering (``PYTHONUNBUFFERED``) so the tee
stays live. This process records the command line, git state and environment,
sends heartbeats while the command runs, and on exit its code, wall time, CPU
time and peak memory (from ``wait4``), then marks the run finished (exit 0),
failed (other codes) or killed (ended by a signal).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

from shipyard.core.errors import InvalidInput, ShipyardError
from shipyard.core.monitors import triggered_tags
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
    capture: bool = True,
    scratch: Path | None = None,
) -> CommandOutcome:
    """Run ``argv`` as a tracked run; raises :class:`InvalidInput` if it cannot start.

    Nothing is recorded for a command that is not found. With ``capture`` the
    output is teed into log files in ``scratch`` (default: a temporary folder)
    and stored as the run's artifacts before the run ends.
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
            tags=triggered_tags(os.environ) | dict(tags or {}),
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
    if capture:
        env.setdefault("PYTHONUNBUFFERED", "1")
    gpus = gpu_count()
    started = time.monotonic()
    logs = _Logs(scratch) if capture else None
    # The terminal's Ctrl-C reaches the command too; let it decide, then record.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            pipe = subprocess.PIPE if capture else None
            process = subprocess.Popen(list(argv), env=env, stdout=pipe, stderr=pipe)
        except OSError as exc:
            if logs is not None:
                logs.close()
            backend.end_run(run.id, RunStatus.FAILED, Resources(), exit_code=127, writer=writer)
            raise InvalidInput(f"cannot start {argv[0]}: {exc.strerror}") from None
        if logs is not None:
            logs.start(process)
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
    if logs is not None:
        logs.finish(backend, run.id)
    backend.end_run(run.id, status, resources, exit_code=exit_code, writer=writer)
    return CommandOutcome(run, status, exit_code, resources)


CAPTURE_LIMIT = 64 * 1024 * 1024
"""Bytes of each stream kept in the run's log artifact; the terminal gets everything."""
_STREAMS = (("stdout", "logs/stdout.log"), ("stderr", "logs/stderr.log"))


class _Logs:
    """Tees the child's stdout and stderr to ours and into two files."""

    def __init__(self, scratch: Path | None) -> None:
        self._temporary = scratch is None
        self.folder = Path(tempfile.mkdtemp(prefix="shipyard-run-", dir=scratch))
        self.threads: list[threading.Thread] = []

    def start(self, process: subprocess.Popen[bytes]) -> None:
        for name, _artifact in _STREAMS:
            source = getattr(process, name)
            sink = getattr(sys, name)
            thread = threading.Thread(
                target=_pump, args=(source, sink, self.folder / f"{name}.log"), daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def finish(self, backend: TrackingBackend, run_id: str) -> None:
        """Wait for the streams to drain, then store the logs as artifacts (best effort)."""
        for thread in self.threads:
            thread.join(timeout=10)  # a grandchild may hold the pipe open: do not hang
        files = [
            (self.folder / f"{name}.log", artifact)
            for name, artifact in _STREAMS
            if (self.folder / f"{name}.log").stat().st_size
        ]
        try:
            if files:
                from shipyard.tracking.artifacts import store_artifacts

                store_artifacts(backend, run_id, files)
        except ShipyardError as exc:
            print(f"shipyard: could not store the command's output: {exc.one_line()}",
                  file=sys.stderr)  # fmt: skip
        finally:
            self.close()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _pump(source: IO[bytes], sink: TextIO, path: Path) -> None:
    """Copy ``source`` to ``sink`` as it arrives, and its first bytes into ``path``."""
    raw = getattr(sink, "buffer", None)
    kept = 0
    with path.open("wb") as log:
        fd = source.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            try:
                if raw is not None:
                    raw.write(data)
                    raw.flush()
                else:
                    sink.write(data.decode("utf-8", "replace"))
                    sink.flush()
            except (OSError, ValueError):
                pass  # our terminal went away: keep draining so the command never blocks
            if kept < CAPTURE_LIMIT:
                piece = data[: CAPTURE_LIMIT - kept]
                log.write(piece)
                kept += len(piece)
                if kept >= CAPTURE_LIMIT:
                    log.write(b"\n[shipyard: output truncated at 64 MiB]\n")
    source.close()


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
