"""Is a run's process still there? Heartbeats, and the rule that marks a run killed.

A running run's process sends a heartbeat every :data:`HEARTBEAT_INTERVAL_S`
(from the SDK's background logger, or from ``shipyard run``). A run still
marked running is taken for killed when

* it ran on this host and its process no longer exists (seen at once), or
* its last heartbeat is older than :data:`STALE_AFTER_S` (any host).

Readers apply the rule before they show runs (``TrackingService.reap``), so a
run whose process was SIGKILLed, or whose machine died, shows as killed
without anyone having to clean up. If the process was only paused and comes
back, its next heartbeat or write makes the run running again.
"""

from __future__ import annotations

import errno
import os
from datetime import datetime, timedelta

__all__ = ["HEARTBEAT_INTERVAL_S", "STALE_AFTER_S", "pid_alive", "vanished"]

HEARTBEAT_INTERVAL_S = 15.0
STALE_AFTER_S = 120.0


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (zombies count as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM  # EPERM: it exists, owned by someone else
    try:  # a zombie has exited; only its parent has not reaped it yet
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def vanished(
    *,
    host: str,
    pid: int | None,
    heartbeat_at: datetime | None,
    started_at: datetime,
    now: datetime,
    this_host: str,
    alive: bool | None = None,
) -> bool:
    """Whether a run marked running has lost its process.

    ``alive`` is the result of :func:`pid_alive` for runs on this host (None
    when not checked).
    """
    if host == this_host and pid is not None and alive is False:
        return True
    last_sign = heartbeat_at or started_at
    return now - last_sign > timedelta(seconds=STALE_AFTER_S)
