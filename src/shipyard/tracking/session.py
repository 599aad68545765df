"""The SDK's process-wide state: backends by workspace, the stack of active runs, exit.

One backend (and one background logger) per store and project, opened on first
use: in-process, or a team server's when ``SHIPYARD_URI`` names one. Without a
``context``, the settings of the current folder and environment are built once
and reused while they stay the same (:func:`current_settings`), and so is the
backend: a ``start_run`` costs the run's own writes only. Active runs form a
stack: ``start_run(nested=True)`` pushes a child of the top run; ending a run
pops it. At interpreter exit, runs still active are ended (failed if an uncaught
exception is ending the process, finished otherwise; never finished with
values unconfirmed, see :mod:`shipyard.tracking.ending`) and every logger is
flushed; what stays unconfirmed is spooled.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from shipyard.context import Context
from shipyard.core.settings import Settings
from shipyard.tracking.entities import RunStatus, Writer
from shipyard.tracking.environment import host_name
from shipyard.workspace.config import current_settings

if TYPE_CHECKING:
    from shipyard.tracking.backend import TrackingBackend
    from shipyard.tracking.batching import BatchLogger
    from shipyard.tracking.run import ActiveRun

Opened = tuple[Settings, "TrackingBackend", "BatchLogger"]

__all__ = ["RUN_ID_ENV", "SdkSession", "sdk"]

RUN_ID_ENV = "SHIPYARD_RUN_ID"
"""Set by ``shipyard run`` for the command it runs: the run that command logs into."""


class SdkSession:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.stack: list[ActiveRun] = []
        self._backends: dict[tuple[str, str], Opened] = {}
        # The caller's context each backend was opened on (None: one of our own). A backend
        # holds its context's connections, so another context (the first may be closed
        # by its owner) gets a backend of its own.
        self._opened_on: dict[tuple[str, str], Context | None] = {}
        self._retired: list[Opened] = []  # replaced after a settings change; closed at exit
        self._last: Opened | None = None  # the default one, for the fast path
        self._uncaught = False
        self._hooked = False

    def writer(self) -> Writer:
        return Writer(host_name(), os.getpid())

    def backend(self, context: Context | None = None) -> tuple[TrackingBackend, BatchLogger]:
        """The backend and logger for ``context`` (default: the workspace around the cwd)."""
        settings = context.settings if context is not None else current_settings()
        last = self._last
        if context is None and last is not None and last[0] is settings:
            return last[1], last[2]  # nothing changed since the last call
        ctx = context or Context(settings)
        key = (ctx.metadata_uri, ctx.project)
        with self.lock:
            found = self._backends.get(key)
            if (
                found is None
                or self._opened_on.get(key) is not context
                or (found[0] is not settings and found[0] != settings)
            ):
                if found is not None:
                    self._retired.append(found)  # its active runs keep it until they end
                found = self._open(ctx, settings, owns=context is None)
                self._backends[key] = found
                self._opened_on[key] = context
            if context is None:
                self._last = found
            return found[1], found[2]

    def _open(self, ctx: Context, settings: Settings, *, owns: bool) -> Opened:
        from shipyard.tracking.backend import open_backend
        from shipyard.tracking.batching import BatchLogger

        backend = open_backend(ctx, owns_context=owns)
        logger = BatchLogger(backend, self.writer(), deadline_s=settings.client.retry_deadline_s)
        self._hook()
        return settings, backend, logger

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
        from shipyard.core.errors import ShipyardError
        from shipyard.tracking.ending import spool_leftovers

        status = RunStatus.FAILED if self._uncaught else RunStatus.FINISHED
        for run in reversed(list(self.stack)):
            try:
                run.end(status)
            except Exception as exc:  # exiting: report, never raise
                print(f"shipyard: could not end run {run.id}: {exc}", file=sys.stderr)
        with self.lock:
            opened = [*self._backends.values(), *self._retired]
            self._backends.clear()
            self._opened_on.clear()
            self._retired.clear()
            self._last = None
        for _settings, backend, logger in opened:
            try:
                logger.close()
            except ShipyardError:
                pass  # what stays unconfirmed is spooled just below, and said so
            except Exception as exc:
                print(f"shipyard: could not write the last values: {exc}", file=sys.stderr)
            try:
                spool_leftovers(backend, logger)
            finally:
                backend.close()


sdk = SdkSession()


def default_run_name() -> str:
    script = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
    return script if script and script not in ("-c", "-m", "") else "run"
