"""Several processes writing to one embedded workspace at once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from shipyard.context import open_context
from shipyard.store import audit

WRITERS = 8
EVENTS_EACH = 60


def _writer(root: str, writer: int) -> None:
    with open_context(Path(root)) as ctx:
        for i in range(EVENTS_EACH):
            with ctx.db.write() as session:
                audit.record(session, ctx.principal, "test.write", f"w{writer}:{i}")
                # Read-then-write inside one transaction: the case that fails with
                # "database is locked" when transactions start deferred.
                audit.count_events(session)


@pytest.mark.slow
def test_eight_processes_write_without_lock_errors_or_lost_rows(workspace: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=_writer, args=(str(workspace), n)) for n in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    with open_context(workspace) as ctx, ctx.db.read() as session:
        targets = {e.target for e in audit.list_events(session, action="test.write", limit=10_000)}
    assert targets == {f"w{w}:{i}" for w in range(WRITERS) for i in range(EVENTS_EACH)}
