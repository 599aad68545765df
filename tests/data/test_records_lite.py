"""The sqlite3 fast path of ``data add`` under several processes at once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from shipyard.context import open_context
from shipyard.core.digest import digest_of
from shipyard.data.records import NewVersion
from shipyard.data.records_lite import LiteRecords, embedded_path
from shipyard.data.records_sql import SqlRecords
from shipyard.store import audit

WRITERS = 4
VERSIONS_EACH = 15


def _writer(root: str, writer: int) -> None:
    with open_context(Path(root)) as ctx:
        path = embedded_path(ctx.metadata_uri)
        assert path is not None
        records = LiteRecords(path, lambda: SqlRecords(ctx.db))
        for i in range(VERSIONS_EACH):
            digest = digest_of(f"{writer}:{i}".encode())
            records.register(
                ctx.principal, ctx.project, [NewVersion("d.csv", "file", digest, 1, 1)]
            )


@pytest.mark.slow
def test_processes_adding_at_once_number_versions_without_gaps(workspace: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=_writer, args=(str(workspace), n)) for n in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    with open_context(workspace) as ctx:
        versions = SqlRecords(ctx.db).versions(ctx.principal, ctx.project, "d.csv")
        assert sorted(v.version for v in versions) == list(range(1, WRITERS * VERSIONS_EACH + 1))
        with ctx.db.read() as session:
            assert audit.verify(session) == []
