"""The tamper suite: what someone with write access to the database can do to the audit
log, and what ``audit verify`` names, with and without a signed checkpoint (SQLite and
PostgreSQL, through the ``database`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from shipyard.audit.checkpoint import Checkpoint, SignedCheckpoint
from shipyard.audit.keys import CheckpointSigner
from shipyard.audit.report import NO_CHECKPOINT_WARNING
from shipyard.store import audit
from shipyard.store.db import Database
from tests.audit.kit import (
    Setup,
    delete,
    edit,
    make_setup,
    new_key,
    problems,
    rehash_all,
    rewrite_head,
    seqs,
    write_entries,
)

EDITED = "the entry was edited after it was written"
LINK = "the entry before it was deleted, altered or inserted"


@pytest.fixture
def setup(database: Database, tmp_path: Path) -> Iterator[Setup]:
    kit = make_setup(database, tmp_path)
    yield kit
    kit.close()


def test_an_untouched_log_verifies_against_its_checkpoint(setup: Setup) -> None:
    write_entries(setup.db, 10)
    newest = setup.checkpoint()
    report = setup.verify()
    assert report.intact
    assert report.checkpoint is not None
    assert (report.checkpoint.seq, report.checkpoint.count) == (newest, 10)
    assert report.checkpoint.key == setup.signer.fingerprint
    assert report.after_checkpoint == 0
    assert report.warnings == []
    write_entries(setup.db, 3, start=10)
    later = setup.verify()
    assert later.intact
    assert later.after_checkpoint == 3  # not vouched for yet: the report says so


def test_without_a_checkpoint_the_report_says_what_cannot_be_seen(setup: Setup) -> None:
    write_entries(setup.db, 5)
    report = setup.verify(use_checkpoints=False)
    assert report.intact
    assert report.checkpoint is None
    assert report.warnings == [NO_CHECKPOINT_WARNING]


def test_an_edited_entry_is_named(setup: Setup) -> None:
    write_entries(setup.db, 10)
    setup.checkpoint()
    target = seqs(setup.db)[4]
    edit(setup.db, target)
    assert problems(setup.verify()) == [(target, EDITED)]


def test_a_deletion_in_the_middle_is_named_and_not_called_one_at_the_end(setup: Setup) -> None:
    write_entries(setup.db, 10)
    newest = setup.checkpoint()
    before = seqs(setup.db)
    delete(setup.db, before[3])
    found = problems(setup.verify())
    assert found == [
        (before[4], LINK),
        (newest, "the signed checkpoint of 2026-03-01 12:01:00 UTC counted 10 entries up to "
                 "this one and the log holds 9: entries before it were deleted"),
    ]  # fmt: skip
    assert not any("at the end" in problem for _, problem in found)


def test_truncating_the_end_and_rewriting_the_head_is_named(setup: Setup) -> None:
    write_entries(setup.db, 10)
    newest = setup.checkpoint()
    delete(setup.db, *seqs(setup.db)[-3:])
    rewrite_head(setup.db)
    assert setup.verify(use_checkpoints=False).intact  # the database alone cannot tell
    assert problems(setup.verify()) == [
        (newest, "this entry is gone: entries at the end of the log were deleted (the signed "
                 f"checkpoint of 2026-03-01 12:01:00 UTC counted 10 entries up to #{newest}, "
                 "the log holds 7 up to there)"),
    ]  # fmt: skip


def test_truncating_and_appending_new_entries_is_still_named(setup: Setup) -> None:
    write_entries(setup.db, 10)
    newest = setup.checkpoint()
    delete(setup.db, *seqs(setup.db)[-3:])
    rewrite_head(setup.db)
    write_entries(setup.db, 5, start=100)  # SQLite reuses the numbers, PostgreSQL does not
    report = setup.verify()
    assert not report.intact
    assert [seq for seq, _ in problems(report)] == [newest]


def test_recomputing_every_hash_after_an_edit_is_named(setup: Setup) -> None:
    write_entries(setup.db, 5)
    first = setup.checkpoint()
    write_entries(setup.db, 5, start=5)
    second = setup.checkpoint()
    edit(setup.db, seqs(setup.db)[6])
    rehash_all(setup.db)
    assert setup.verify(use_checkpoints=False).intact  # consistent again, to the database
    assert problems(setup.verify()) == [
        (second, "the log was rewritten up to this entry: its hash differs from the signed "
                 "checkpoint of 2026-03-01 12:02:00 UTC (entries after "
                 f"#{first} were edited, deleted or replaced and every hash after them "
                 "recomputed)"),
    ]  # fmt: skip


def test_deleting_entries_and_recomputing_every_hash_is_named(setup: Setup) -> None:
    write_entries(setup.db, 10)
    newest = setup.checkpoint()
    delete(setup.db, seqs(setup.db)[2])
    rehash_all(setup.db)
    assert setup.verify(use_checkpoints=False).intact
    ((seq, problem),) = problems(setup.verify())
    assert seq == newest
    assert problem.startswith("the log was rewritten up to this entry")
    assert problem.endswith("it counted 10 entries up to here, the log holds 9)")


def test_a_checkpoint_with_an_altered_body_is_rejected(setup: Setup) -> None:
    write_entries(setup.db, 10)
    setup.checkpoint()
    delete(setup.db, *seqs(setup.db)[-3:])
    rewrite_head(setup.db)
    # Rewrite the stored checkpoint to match the cut log, keeping its signature.
    (key,) = setup.vault.keys()
    genuine = setup.vault.load(key)
    last = seqs(setup.db)[-1]
    with setup.db.read() as session:
        head = audit.chain_head(session)
    assert head is not None
    forged = replace(genuine.checkpoint, seq=last, count=7, head=head.hash)
    setup.store.backend.delete(key)
    setup.vault.put(SignedCheckpoint(forged, genuine.signature))
    report = setup.verify()
    assert not report.intact
    assert "the signature does not verify with the trusted key" in report.breaks[0].problem
    assert report.checkpoint is None  # nothing valid left to vouch for the log


def test_a_checkpoint_signed_by_another_key_is_not_used(setup: Setup, tmp_path: Path) -> None:
    write_entries(setup.db, 10)
    setup.checkpoint()
    delete(setup.db, *seqs(setup.db)[-3:])
    rewrite_head(setup.db)
    # The attacker signs a checkpoint of the cut log with a key of their own.
    theirs = CheckpointSigner.load(new_key(tmp_path, "mallory.pem"))
    with setup.db.read() as session:
        head = audit.chain_head(session)
    assert head is not None
    fake = Checkpoint(head.seq, head.count, head.hash, setup.clock(), None, theirs.fingerprint)
    setup.vault.put(theirs.sign(fake))
    report = setup.verify()
    assert [w for w in report.warnings if "signed by another key" in w]
    assert "this entry is gone" in report.breaks[0].problem  # the genuine one still counts
    # Claiming our key's fingerprint does not help either: the signature is checked.
    claimed = replace(fake, key=setup.signer.fingerprint)
    setup.vault.put(SignedCheckpoint(claimed, theirs.sign(fake).signature))
    assert any("forged or altered" in b.problem for b in setup.verify().breaks)


def test_a_checkpoint_deleted_from_the_store_is_named(setup: Setup) -> None:
    for start in (0, 3, 6):
        write_entries(setup.db, 3, start=start)
        setup.checkpoint()
    middle = setup.vault.keys()[1]
    setup.store.backend.delete(middle)
    report = setup.verify()
    assert len(report.breaks) == 1
    assert "is missing: it was deleted from where checkpoints are kept" in report.breaks[0].problem


def test_garbage_under_the_checkpoint_prefix_is_named(setup: Setup) -> None:
    write_entries(setup.db, 3)
    setup.checkpoint()
    name = "audit/checkpoints/" + "0" * 19 + "9-" + "a" * 64 + ".json"
    setup.store.backend.write(name, b"{not json")
    report = setup.verify()
    assert problems(report) == [
        (None, f"{name} is not a valid audit checkpoint: it is not JSON (forged or damaged)")
    ]
