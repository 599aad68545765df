"""What the audit tests share: a log to write, a signing setup, and the tampering itself.

The tampering functions do what someone with write access to the database can:
plain SQL on ``audit_events`` and ``audit_head``, hashes recomputed with the
same public algorithm the writers use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text

from shipyard.audit.keys import CheckpointSigner, generate_checkpoint_key
from shipyard.audit.report import AuditReport
from shipyard.audit.vault import CheckpointVault
from shipyard.audit.verify import verify_log
from shipyard.audit.writer import CheckpointWriter, Exporter
from shipyard.core.audit_chain import GENESIS, entry_hash
from shipyard.core.principal import LOCAL_OWNER
from shipyard.objects.open import open_store
from shipyard.objects.store import ObjectStore
from shipyard.store import audit
from shipyard.store.db import Database
from shipyard.store.tables import AuditEventRow

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock that moves only when told (a minute per reading)."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def new_key(folder: Path, name: str = "audit-key.pem") -> Path:
    generate_checkpoint_key(folder / name)
    return folder / name


@dataclass
class Setup:
    db: Database
    store: ObjectStore
    vault: CheckpointVault
    signer: CheckpointSigner
    clock: Clock

    def writer(self, exporters: list[Exporter] | None = None) -> CheckpointWriter:
        return CheckpointWriter(
            self.db, self.vault, self.signer, exporters=exporters or [], clock=self.clock
        )

    def checkpoint(self) -> int:
        """Write a checkpoint with a fresh writer (as a new process would); its entry."""
        written = self.writer().write().written
        assert written is not None
        return written.checkpoint.seq

    def verify(self, *, use_checkpoints: bool = True) -> AuditReport:
        found = self.vault.load_all() if use_checkpoints else []
        with self.db.read() as session:
            return verify_log(session, found, self.signer.trusted)

    def close(self) -> None:
        self.store.close()


def make_setup(db: Database, folder: Path, store: ObjectStore | None = None) -> Setup:
    store = store or open_store(folder / "objects")
    signer = CheckpointSigner.load(new_key(folder))
    return Setup(db, store, CheckpointVault.of(store), signer, Clock())


def write_entries(db: Database, n: int, start: int = 0) -> None:
    with db.write() as session:
        for i in range(start, start + n):
            audit.record(session, LOCAL_OWNER, "model.alias", f"model:m{i}", detail={"to": i})


def seqs(db: Database) -> list[int]:
    with db.connect() as conn:
        return list(conn.execute(text("SELECT seq FROM audit_events ORDER BY seq")).scalars())


def edit(db: Database, seq: int) -> None:
    with db.connect(write=True) as conn:
        conn.execute(text("UPDATE audit_events SET principal = 'mallory' WHERE seq = :s"),
                     {"s": seq})  # fmt: skip


def delete(db: Database, *doomed: int) -> None:
    with db.connect(write=True) as conn:
        for seq in doomed:
            conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seq})


def rewrite_head(db: Database) -> None:
    """Point ``audit_head`` at the newest entry left, with the count left."""
    with db.connect(write=True) as conn:
        row = conn.execute(
            text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        ).one()
        count = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
        conn.execute(text("UPDATE audit_head SET last_seq = :s, last_hash = :h, count = :c"),
                     {"s": row[0], "h": row[1], "c": count})  # fmt: skip


def rehash_all(db: Database) -> None:
    """Recompute every entry's links and hash, and the head: the chain is consistent again."""
    prev = GENESIS
    with db.write() as session:
        for row in session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)):
            row.prev_hash = prev
            row.hash = prev = entry_hash(
                prev, row.time, row.principal, row.action, row.target, row.project,
                row.source, row.detail,
            )  # fmt: skip
    rewrite_head(db)


def problems(report: AuditReport) -> list[tuple[int | None, str]]:
    return [(b.seq, b.problem) for b in report.breaks]
