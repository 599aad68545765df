"""``--executor ray``: each step call is a Ray task, on an existing cluster or a local one.

The same task document as the local workers (:mod:`shipyard.pipelines.worker`)
runs inside the Ray task, so caching, tracking and the object-store hand-off
are unchanged: a step reads its inputs from, and writes its output to, the
project's object store (the workspace's, a shared bucket, or the team
server's), never through Ray's object store. A step past its timeout is
cancelled with ``force=True``, which kills the worker process running it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput, Unavailable
from shipyard.pipelines.pool import StepCrashed, StepTimedOut

__all__ = ["RayPool"]


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise InvalidInput(
            "the ray executor needs Ray, which is not installed",
            hint="pip install 'shipyard[ray]'",
        ) from None
    return ray


def _run_on_ray(task: str, settings: Any, principal: Any, cwd: str) -> str:
    """The body of the Ray task: open a context where it runs, and run one step."""
    import os
    import sys
    import tempfile
    from types import MappingProxyType

    from shipyard.context import Context
    from shipyard.pipelines.worker import execute

    if os.path.isdir(cwd):
        os.chdir(cwd)
        if cwd not in sys.path:
            sys.path.insert(0, cwd)
    principal = replace(principal, roles=MappingProxyType(dict(principal.roles)))
    with Context(settings, principal) as context, tempfile.TemporaryDirectory() as scratch:
        return json.dumps(execute(context, json.loads(task), Path(scratch)))


class RayPool:
    """Steps as Ray tasks; ``address`` as ``ray.init`` takes it (None: a local instance)."""

    def __init__(self, settings: Any, principal: Any, cwd: Path, address: str | None) -> None:
        ray = _ray()
        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                where = address or "a local instance"
                raise Unavailable(f"cannot reach Ray at {where}: {error}") from None
        self._remote = ray.remote(max_retries=0)(_run_on_ray)
        self._args = (settings, replace(principal, roles=dict(principal.roles)), str(cwd))
        self.size = int(ray.cluster_resources().get("CPU", 1))

    def call(self, task: dict[str, Any], timeout: float | None) -> dict[str, Any]:
        ray = self._ray
        ref = self._remote.remote(json.dumps(task), *self._args)
        done, _ = ray.wait([ref], timeout=timeout)
        if not done:
            ray.cancel(ref, force=True)
            raise StepTimedOut(f"timed out after {timeout:g}s; its Ray task was cancelled")
        try:
            return dict(json.loads(ray.get(ref)))
        except ray.exceptions.RayError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise StepCrashed(f"its Ray task failed: {type(error).__name__}: {first}") from None

    def close(self) -> None:
        if self._owns:
            self._ray.shutdown()
