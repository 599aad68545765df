"""A step worker: a long-lived process that runs one step call at a time.

Workers are reused across steps, so a step costs a message each way rather
than a Python start-up. A worker reads its inputs from the object store,
calls the step's function, stores what it returned and answers with where it
is. Messages are JSON; nothing crosses the pipe pickled except the process's
start-up arguments. A worker that overruns its step's timeout is killed and
replaced by the pool (:mod:`shipyard.pipelines.pool`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput, ShipyardError

__all__ = ["execute", "serve"]

RUN_ID_ENV = "SHIPYARD_RUN_ID"  # as shipyard.tracking.session reads it
LOG_MAX = 1_000_000
"""The last this many characters a step prints are kept as its run's ``step.log``."""


def serve(conn: Connection, settings: Any, principal: Any, cwd: str) -> None:
    """The worker loop: one JSON task in, one JSON answer out, until the pipe closes."""
    from dataclasses import replace
    from types import MappingProxyType

    from shipyard.context import Context

    principal = replace(principal, roles=MappingProxyType(dict(principal.roles)))
    os.chdir(cwd)
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    context = Context(settings, principal)
    scratch = Path(tempfile.mkdtemp(prefix="shipyard-worker-"))
    conn.send_bytes(b"ready")
    try:
        while True:
            try:
                task = json.loads(conn.recv_bytes())
            except (EOFError, OSError):
                return
            conn.send_bytes(json.dumps(execute(context, task, scratch)).encode())
    finally:
        context.close()
        shutil.rmtree(scratch, ignore_errors=True)


def execute(context: Any, task: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Run one step call; the answer says where its output and its log are, or what
    went wrong. Inside the step, ``shipyard.start_run()`` attaches to the step's run
    (``task["run_id"]``), so what the step logs and registers has it as lineage."""
    log = io.StringIO()
    previous = os.environ.get(RUN_ID_ENV)
    if task.get("run_id"):
        os.environ[RUN_ID_ENV] = str(task["run_id"])
    try:
        with contextlib.redirect_stdout(_Tee(log)), contextlib.redirect_stderr(_Tee(log)):
            answer = _call(context, task, scratch)
    finally:
        if previous is None:
            os.environ.pop(RUN_ID_ENV, None)
        else:
            os.environ[RUN_ID_ENV] = previous
    text = log.getvalue()[-LOG_MAX:]
    if text:
        with contextlib.suppress(ShipyardError):  # a log that cannot be kept loses no output
            ref = context.project_objects.put_bytes(text.encode("utf-8", "replace"))
            answer["log"] = {"digest": ref.digest.hex, "size": ref.size}
    return answer


def _call(context: Any, task: dict[str, Any], scratch: Path) -> dict[str, Any]:
    from shipyard.pipelines.values import store_value

    started = time.perf_counter()
    what = f"step {task['node']!r}"
    try:
        fn = _function(task["reference"])
        args = [_argument(context, item, scratch) for item in task["args"]]
        kwargs = {k: _argument(context, item, scratch) for k, item in task["kwargs"].items()}
        value = fn(*args, **kwargs)
        stored = store_value(context.project_objects, value, what)
    except ShipyardError as error:
        return _failure(error, started, traceback_text=None)
    except (Exception, SystemExit) as error:  # the user's code: report it, keep serving
        return _failure(error, started, traceback_text=traceback.format_exc(limit=20))
    return {"ok": True, "output": stored.to_dict(), "seconds": time.perf_counter() - started}


class _Tee(io.TextIOBase):
    """Keeps what a step prints, and still shows it where it went before."""

    def __init__(self, keep: io.StringIO) -> None:
        self._keep = keep
        self._shown = sys.__stdout__

    def write(self, text: str) -> int:
        self._keep.write(text)
        if self._shown is not None:
            self._shown.write(text)
        return len(text)

    def flush(self) -> None:
        if self._shown is not None:
            self._shown.flush()


def _argument(context: Any, item: dict[str, Any], scratch: Path) -> object:
    from shipyard.pipelines.values import StoredValue, load_value

    if "value" in item:
        return item["value"]
    if "dataset" in item:  # the tracked data, checked out: a local path of that version
        import shipyard.data

        found = item["dataset"]
        return str(shipyard.data.open(found["path"], rev=found["rev"], context=context))
    objects = context.project_objects
    return load_value(objects, StoredValue.from_dict(item["stored"]), scratch)


def _function(reference: str) -> Any:
    from shipyard.pipelines.loading import resolve

    module_name, _, qualname = reference.partition(":")
    found = resolve(module_name, qualname)
    return getattr(found, "fn", found)  # a Step: its plain function


def _failure(error: BaseException, started: float, traceback_text: str | None) -> dict[str, Any]:
    message = str(error).splitlines()[0] if str(error) else ""
    return {
        "ok": False,
        "error": f"{type(error).__name__}: {message}" if message else type(error).__name__,
        "retryable": not isinstance(error, InvalidInput),
        "traceback": traceback_text,
        "seconds": time.perf_counter() - started,
    }
