"""The SDK's process-wide state: backends by workspace, the stack of active runs, exit.

One backend (and one background logger) per store and project, opened on first
use: in-process, or a team server's when ``SHIPYARD_URI`` names one. Active runs
form a stack: ``start_run(nested=True)`` pushes a child of the top run; ending
a run pops it. At interpreter exit, runs still active are ended
(failed if an uncaught exception is ending the process, finished otherwise) and
every logger is flushed.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from shipyard.context import Context, open_context
from shipyard.tracking.entities import RunStatus, Writer
from shipyard.tracking.environment import host_name

if TYPE_CHECKING:
    from shipyard.tracking.backend import TrackingBackend
    from shipyard.tracking.batching import BatchLogger
    from shipyard.tracking.run import ActiveRun

__all__ = ["RUN_ID_ENV", "SdkSession", "sdk"]

RUN_ID_ENV = "SHIPYARD_RUN_ID"
"""Set by ``shipyard run`` for the command it runs: the run that command logs into."""


class SdkSession:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.stack: list[ActiveRun] = []
        self._backends: dict[tuple[str, str], tuple[TrackingBackend, BatchLogger]] = {}
        self._uncaught = False
        self._hooked = False

    def writer(self) -> Writer:
        return Writer(host_name(), os.getpid())

    def backend(self, context: Context | None = None) -> tuple[TrackingBackend, BatchLogger]:
        """The backend and logger for ``context`` (default: the workspace around the cwd)."""
        from shipyard.tracking.backend import open_backend
        from shipyard.tracking.batching import BatchLogger

        owns = context is None
        ctx = context or open_context()
        key = (ctx.metadata_uri, ctx.project)
        with self.lock:
            found = self._backends.get(key)
            if found is not None:
                if owns:
                    ctx.close()
                return found
            backend = open_backend(ctx, owns_context=owns)
            logger = BatchLogger(backend, self.writer())
            self._backends[key] = (backend, logger)
            self._hook()
            return backend, logger

    def push(self, run: ActiveRun) -> None:
        with self.lock:
            self.stack.append(run)

    def pop(self, run: ActiveRun) -> None:
        with self.lock:
            if run in self.stack:
                self.stack.remove(run)

    def top(self) -> ActiveRun | None:
        with self.lock:
            return self.stack[-1] if self.stack else None

    # -- exit ------------------------------------------------------------------

    def _hook(self) -> None:
        if self._hooked:
            return
        self._hooked = True
        atexit.register(self.shutdown)
        previous = sys.excepthook

        def excepthook(
            kind: type[BaseException], error: BaseException, tb: TracebackType | None
        ) -> None:
            self._uncaught = True
            previous(kind, error, tb)

        sys.excepthook = excepthook

    def shutdown(self) -> None:
        """End the runs still active and flush every logger (called at exit)."""
        status = RunStatus.FAILED if self._uncaught else RunStatus.FINISHED
        for run in reversed(list(self.stack)):
            try:
                run.end(status)
            except Exception as exc:  # exiting: report, never raise
                print(f"shipyard: could not end run {run.id}: {exc}", file=sys.stderr)
        for backend, logger in list(self._backends.values()):
            try:
                logger.close()
            except Exception as exc:
                print(f"shipyard: could not write the last values: {exc}", file=sys.stderr)
            backend.close()
        self._backends.clear()


sdk = SdkSession()


def default_run_name() -> str:
    script = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
    return script if script and script not in ("-c", "-m", "") else "run"
