"""At most one acting scheduler per project, however many replicas run.

On PostgreSQL a session-level advisory lock, held by one open connection
(it disappears with the process, so a killed scheduler frees it); on the
embedded SQLite store an exclusive ``flock`` on ``.shipyard/scheduler.lock``
(also released by the kernel when the process dies).
"""

from __future__ import annotations

import fcntl
import os
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["SchedulerLock"]


class SchedulerLock:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._held: Any = None
        self._key = zlib.crc32(f"shipyard.scheduler:{ctx.project}".encode())

    @property
    def held(self) -> bool:
        return self._held is not None

    def acquire(self) -> bool:
        """Take the lock if it is free; True while this process holds it."""
        if self._held is not None:
            return True
        db = self.ctx.db
        if db.dialect == "postgresql":
            self._held = self._advisory(db)
        else:
            self._held = self._flock()
        return self._held is not None

    def _advisory(self, db: Any) -> Any:
        from sqlalchemy import text

        conn = db.engine.connect()
        taken = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar()
        conn.commit()
        if taken:
            return conn
        conn.close()
        return None

    def _flock(self) -> int | None:
        path = self.ctx.layout.dot_dir / "scheduler.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    def release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        if isinstance(held, int):
            os.close(held)  # closing the descriptor drops the flock
        else:
            from sqlalchemy import text

            # A pooled connection outlives close(): unlock before handing it back.
            held.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            held.commit()
            held.close()
