"""The sqlite3 fast path of ``data add`` under several processes at once."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
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


_PROBE = """
import sys
from shipyard.cli.main import main
sys.argv = ["shipyard", "data", "add", "t.csv"]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print("sqlalchemy modules:", sorted(m for m in sys.modules if m.startswith("sqlalchemy"))[:3])
"""


def test_adding_a_small_file_to_the_embedded_store_never_imports_sqlalchemy(
    workspace: Path,
) -> None:
    # What the fast path is for: SQLAlchemy's import costs ~0.15 CPU-s on a tiny add.
    (workspace / "t.csv").write_text("a,b\n1,2\n")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=workspace, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "sqlalchemy modules: []"
    with open_context(workspace) as ctx:
        [one] = SqlRecords(ctx.db).versions(ctx.principal, ctx.project, "t.csv")
        with ctx.db.read() as session:
            assert audit.verify(session) == []
            assert audit.count_events(session) >= 1
    assert one.version == 1
