"""The audit log's hash chain catches edits, deletions and insertions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import Result

from shipyard.core.principal import LOCAL_OWNER
from shipyard.store import audit
from shipyard.store.db import Database


def _write_entries(db: Database, n: int) -> None:
    with db.write() as session:
        for i in range(n):
            audit.record(session, LOCAL_OWNER, "model.alias", f"model:m{i}", detail={"to": i})


def test_an_untouched_chain_verifies(database: Database) -> None:
    _write_entries(database, 10)
    with database.read() as session:
        assert audit.verify(session) == []


def test_editing_one_entry_names_it(database: Database) -> None:
    _write_entries(database, 10)
    with database.connect(write=True) as conn:
        seq = conn.execute(text("SELECT seq FROM audit_events ORDER BY seq LIMIT 1 OFFSET 4"))
        target = seq.scalar_one()
        conn.execute(text("UPDATE audit_events SET principal = 'mallory' WHERE seq = :s"),
                     {"s": target})  # fmt: skip
    with database.read() as session:
        breaks = audit.verify(session)
    assert [(b.seq, b.problem) for b in breaks] == [
        (target, "the entry was edited after it was written")
    ]


def test_deleting_an_entry_in_the_middle_names_the_next_one(database: Database) -> None:
    _write_entries(database, 10)
    with database.connect(write=True) as conn:
        seqs = conn.execute(text("SELECT seq FROM audit_events ORDER BY seq")).scalars().all()
        conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seqs[3]})
    with database.read() as session:
        breaks = audit.verify(session)
    assert breaks[0].seq == seqs[4]
    assert "deleted" in breaks[0].problem


def test_deleting_the_newest_entries_is_noticed(database: Database) -> None:
    _write_entries(database, 5)
    with database.connect(write=True) as conn:
        conn.execute(
            text("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)")
        )
    with database.read() as session:
        breaks = audit.verify(session)
    assert len(breaks) == 1
    assert "1 entries at the end" in breaks[0].problem


def test_a_deletion_in_the_middle_is_not_also_reported_at_the_end(database: Database) -> None:
    _write_entries(database, 10)
    with database.connect(write=True) as conn:
        seqs = conn.execute(text("SELECT seq FROM audit_events ORDER BY seq")).scalars().all()
        conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seqs[3]})
    with database.read() as session:
        breaks = audit.verify(session)
    assert [(b.seq, b.problem) for b in breaks] == [
        (seqs[4], "the entry before it was deleted, altered or inserted")
    ]


def test_a_rehashed_deletion_is_noticed_by_the_count_of_the_head(database: Database) -> None:
    _write_entries(database, 6)
    with database.connect(write=True) as conn:
        seqs = conn.execute(text("SELECT seq FROM audit_events ORDER BY seq")).scalars().all()
        conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seqs[2]})
    _rehash_rows(database)  # every link holds again; the head still counts 6
    with database.read() as session:
        breaks = audit.verify(session)
    assert [(b.seq, b.problem) for b in breaks] == [
        (None, "the log holds 5 entries where its head counts 6: entries were deleted or "
               "inserted and the hashes after them recomputed"),
    ]  # fmt: skip


def _rehash_rows(db: Database) -> None:
    from shipyard.core.audit_chain import GENESIS, entry_hash
    from shipyard.store.tables import AuditEventRow

    prev = GENESIS
    with db.write() as session:
        for row in session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)):
            row.prev_hash = prev
            row.hash = prev = entry_hash(
                prev, row.time, row.principal, row.action, row.target, row.project,
                row.source, row.detail,
            )  # fmt: skip
        session.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": prev})


def test_audit_verify_command(
    cli: Callable[..., Result], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("audit", "verify").exit_code == 0
    db = Database(f"sqlite:///{workspace / '.shipyard' / 'shipyard.db'}")
    with db.connect(write=True) as conn:
        conn.execute(text("UPDATE audit_events SET target = 'x' WHERE seq = 1"))
    db.dispose()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "entry #1: the entry was edited after it was written" in result.stdout


def test_tracked_runs_keep_the_chain_intact(workspace: Path) -> None:
    import shipyard
    from shipyard.context import open_context

    with shipyard.start_run(experiment="churn", name="chained") as run:
        run.log_params({"C": 1.0})
        run.log_metric("loss", 0.5)
    with open_context(workspace) as ctx, ctx.db.read() as session:
        assert audit.verify(session) == []
        assert audit.count_events(session) >= 4
