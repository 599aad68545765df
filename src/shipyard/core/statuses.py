"""The HTTP status of each error, in one table for the team server and serving.

Most specific class first: the first class an error is an instance of wins.
An HTTP layer with a deliberate difference passes its overrides, which are
tried before the table (serving's are in ``serving/http.py``, each with why).
"""

from __future__ import annotations

from collections.abc import Sequence

from shipyard.core import errors as e

__all__ = ["STATUS_FOR", "StatusTable", "status_for"]

StatusTable = Sequence[tuple[type[e.ShipyardError], int]]

STATUS_FOR: StatusTable = (
    (e.WorkspaceNotFound, 404),
    (e.NotFound, 404),
    (e.ConfigError, 400),
    (e.InvalidInput, 400),
    (e.AlreadyExists, 409),
    (e.Conflict, 409),
    (e.Unauthenticated, 401),
    (e.RateLimited, 429),
    (e.PermissionDenied, 403),
    (e.Unavailable, 503),
    (e.SchemaOutOfDate, 503),
    (e.IntegrityError, 500),
)


def status_for(error: e.ShipyardError, overrides: StatusTable = ()) -> int:
    """``error``'s status: the first of ``overrides``, then of :data:`STATUS_FOR`, it matches
    (500 for none)."""
    for table in (overrides, STATUS_FOR):
        for cls, status in table:
            if isinstance(error, cls):
                return status
    return 500
