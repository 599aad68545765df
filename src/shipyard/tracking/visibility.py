"""Runs a principal may not read do not exist for it.

Asking for a run of a project one holds no role in answers exactly as an
unknown id does (:class:`NotFound`, 404), never a 403 that would confirm the
run exists and name its project. Whoever may read the project gets the usual
:class:`PermissionDenied` for a write it may not make.
"""

from __future__ import annotations

from shipyard.core.errors import NotFound
from shipyard.core.principal import Principal, Role

__all__ = ["no_such_run", "require_on_run"]


def no_such_run(run_id: str) -> NotFound:
    """The one answer for an unknown run and for a run the caller may not see."""
    return NotFound(f"no run with id {run_id!r}", hint="list runs with `shipyard runs ls`")


def require_on_run(
    principal: Principal, role: Role, run_id: str, project: str, action: str
) -> None:
    """Raise :class:`NotFound` unless ``principal`` may read the run's ``project``, then
    :class:`PermissionDenied` unless it holds ``role`` there."""
    if not principal.has(Role.VIEWER, project):
        raise no_such_run(run_id)
    principal.require(role, project, action)
