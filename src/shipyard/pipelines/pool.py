"""Worker processes for steps: started on demand, reused, killed on timeout.

``concurrent.futures`` cannot stop one task of a pool, and a timed-out step
must stop: here each call borrows one worker, and a worker that overruns is
killed and forgotten (the next call starts a fresh one).
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from shipyard.core.errors import Unavailable

__all__ = ["InProcess", "StepCrashed", "StepTimedOut", "WorkerPool"]

STARTUP_S = 300.0


class StepTimedOut(Exception):
    pass


class StepCrashed(Exception):
    pass


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection


class WorkerPool:
    """Up to ``size`` step workers for one context's settings, in ``cwd``."""

    def __init__(self, settings: Any, principal: Any, cwd: Path, size: int) -> None:
        """``size``: how many steps run at once by default (the CPU count)."""
        self._settings = settings
        # Process arguments are pickled: a plain dict crosses, a mappingproxy does not.
        self._principal = replace(principal, roles=dict(principal.roles))
        self._cwd = str(cwd)
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._spawn = multiprocessing.get_context("spawn")
        self.size = size
        self.started = 0

    def call(self, task: dict[str, Any], timeout: float | None) -> dict[str, Any]:
        """Run ``task`` on a worker; StepTimedOut past ``timeout`` s, StepCrashed if it died."""
        worker = self._borrow()
        try:
            worker.conn.send_bytes(json.dumps(task).encode())
            if not worker.conn.poll(timeout):
                self._kill(worker)
                raise StepTimedOut(f"timed out after {timeout:g}s; its process was killed")
            answer = json.loads(worker.conn.recv_bytes())
        except (EOFError, OSError, BrokenPipeError):
            self._kill(worker)
            code = worker.process.exitcode
            raise StepCrashed(f"its process died (exit code {code})") from None
        self._give_back(worker)
        return dict(answer)

    def _borrow(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._start()

    def _start(self) -> _Worker:
        from shipyard.pipelines.worker import serve

        ours, theirs = self._spawn.Pipe()
        process = self._spawn.Process(
            target=serve,
            args=(theirs, self._settings, self._principal, self._cwd),
            name="shipyard-step",
            daemon=True,
        )
        try:
            process.start()
        except OSError as error:
            raise Unavailable(f"cannot start a step process: {error}") from None
        theirs.close()
        # Start-up (imports) must not count against the first step's timeout.
        try:
            ready = ours.poll(STARTUP_S) and ours.recv_bytes() == b"ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            process.kill()
            process.join(5)
            raise Unavailable(
                f"a step process did not start (exit code {process.exitcode})",
                hint="run the pipeline again with --max-parallel 1 to see its error",
            )
        worker = _Worker(process, ours)
        with self._lock:
            self._all.append(worker)
            self.started += 1
        return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    def _kill(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def close(self) -> None:
        with self._lock:
            workers, self._all, self._idle = self._all, [], []
        for worker in workers:
            worker.conn.close()  # the worker's loop ends at EOF
        for worker in workers:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)


class InProcess:
    """Steps run in this process (an Airflow task is a process of its own already)."""

    size = 1

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx

    def call(self, task: dict[str, Any], timeout: float | None) -> dict[str, Any]:
        import tempfile

        from shipyard.pipelines.worker import execute

        with tempfile.TemporaryDirectory(prefix="shipyard-step-") as scratch:
            return execute(self._ctx, task, Path(scratch))

    def close(self) -> None:
        pass
