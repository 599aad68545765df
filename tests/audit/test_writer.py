"""Writing checkpoints: only when the log moved, only for a log that extends the last one,
chained, kept in plain and encrypted stores, copied to a folder and a webhook, on a
schedule with an injected clock and wait."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from shipyard.audit.checkpoint import SignedCheckpoint
from shipyard.audit.schedule import CheckpointSchedule
from shipyard.audit.writer import FolderExporter, WebhookExporter
from shipyard.core.errors import IntegrityError
from shipyard.objects.encryption import StoreKey
from shipyard.objects.open import open_store
from shipyard.store.db import Database
from tests.audit.kit import START, Setup, delete, make_setup, rewrite_head, seqs, write_entries


@pytest.fixture
def setup(database: Database, tmp_path: Path) -> Iterator[Setup]:
    kit = make_setup(database, tmp_path)
    yield kit
    kit.close()


def test_a_checkpoint_is_written_only_when_the_log_moved(setup: Setup) -> None:
    writer = setup.writer()
    assert writer.write().written is None  # an empty log: nothing to vouch for
    write_entries(setup.db, 4)
    first = writer.write()
    assert first.written is not None
    point = first.written.checkpoint
    assert (point.seq, point.count, point.previous) == (seqs(setup.db)[-1], 4, None)
    assert point.time == START + timedelta(minutes=1)  # the injected clock
    again = writer.write()
    assert again.written is None
    assert again.latest == point
    assert len(setup.vault.keys()) == 1
    write_entries(setup.db, 2, start=4)
    second = writer.write().written
    assert second is not None
    assert second.checkpoint.previous == point.digest  # checkpoints chain
    assert second.checkpoint.count == 6


def test_a_new_writer_continues_the_chain_and_adopts_a_twin(setup: Setup) -> None:
    write_entries(setup.db, 3)
    setup.checkpoint()
    assert setup.writer().write().written is None  # found in the store: nothing to add
    write_entries(setup.db, 1, start=3)
    one, two = setup.writer(), setup.writer()
    written = one.write().written
    assert written is not None
    assert two.write().written is None  # the other worker had just written this head
    assert len(setup.vault.keys()) == 2


def test_nothing_is_signed_for_a_log_cut_since_the_last_checkpoint(setup: Setup) -> None:
    write_entries(setup.db, 6)
    writer = setup.writer()
    writer.write()
    delete(setup.db, *seqs(setup.db)[-2:])
    rewrite_head(setup.db)
    write_entries(setup.db, 3, start=50)
    with pytest.raises(IntegrityError, match="does not extend its last checkpoint"):
        writer.write()
    assert len(setup.vault.keys()) == 1


def test_a_log_cut_back_to_an_older_checkpoint_is_refused(setup: Setup) -> None:
    write_entries(setup.db, 3)
    setup.checkpoint()
    write_entries(setup.db, 3, start=3)
    setup.checkpoint()
    delete(setup.db, *seqs(setup.db)[3:])
    rewrite_head(setup.db)  # the head is again the one the first checkpoint signed
    with pytest.raises(IntegrityError, match="no longer matches the signed checkpoint"):
        setup.writer().write()


def test_nothing_is_signed_for_a_chain_broken_after_the_last_checkpoint(setup: Setup) -> None:
    write_entries(setup.db, 3)
    setup.checkpoint()
    write_entries(setup.db, 3, start=3)
    delete(setup.db, seqs(setup.db)[4])
    with pytest.raises(IntegrityError, match="no checkpoint was written"):
        setup.writer().write()


def test_an_encrypted_store_keeps_checkpoints_sealed(database: Database, tmp_path: Path) -> None:
    store = open_store(tmp_path / "sealed", key=StoreKey.generate(), encrypt=True)
    kit = make_setup(database, tmp_path, store)
    try:
        write_entries(database, 3)
        kit.checkpoint()
        (key,) = kit.vault.keys()
        assert b"shipyard.audit.checkpoint" not in store.backend.read(key)
        report = kit.verify()
        assert report.intact
        assert report.checkpoint is not None
        assert report.checkpoint.count == 3
    finally:
        kit.close()


def test_copies_go_to_a_folder(setup: Setup, tmp_path: Path) -> None:
    write_entries(setup.db, 2)
    result = setup.writer([FolderExporter(tmp_path / "copies")]).write()
    assert result.exports[0].error is None
    (copy,) = (tmp_path / "copies").glob("*.json")
    signed = SignedCheckpoint.from_bytes(copy.read_bytes(), str(copy))
    assert setup.signer.trusted.verifies(signed)
    assert copy.name == result.key.rsplit("/", 1)[-1]  # type: ignore[union-attr]


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []  # noqa: RUF012 - one server per test, reset by the fixture
    status = 204

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(self.rfile.read(length))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    _Receiver.bodies, _Receiver.status = [], 204
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook?token=s3cret", _Receiver
    server.shutdown()
    server.server_close()


def test_a_webhook_receives_the_signed_document(
    setup: Setup, receiver: tuple[str, type[_Receiver]]
) -> None:
    url, handler = receiver
    write_entries(setup.db, 2)
    result = setup.writer([WebhookExporter(url)]).write()
    assert result.exports[0].error is None
    (body,) = handler.bodies
    signed = SignedCheckpoint.from_bytes(body, "the webhook's body")
    assert setup.signer.trusted.verifies(signed)  # any JSON rendering of it verifies


def test_a_failing_webhook_is_logged_without_its_secret_and_not_raised(
    setup: Setup, receiver: tuple[str, type[_Receiver]], caplog: pytest.LogCaptureFixture
) -> None:
    url, handler = receiver
    handler.status = 500
    write_entries(setup.db, 2)
    with caplog.at_level(logging.WARNING, logger="shipyard.audit"):
        result = setup.writer([WebhookExporter(url, attempts=1)]).write()
    assert result.written is not None  # kept in the store all the same
    assert result.exports[0].error is not None
    assert "HTTP 500" in caplog.text
    assert "s3cret" not in caplog.text
    assert "s3cret" not in result.exports[0].target


def test_the_schedule_writes_at_start_and_after_each_wait(setup: Setup) -> None:
    write_entries(setup.db, 2)
    waits: list[float] = []

    def wait(seconds: float) -> bool:  # instead of sleeping: the log grows, then stop
        waits.append(seconds)
        if len(waits) == 1:
            write_entries(setup.db, 1, start=10)
        return len(waits) == 3

    schedule = CheckpointSchedule(setup.writer(), 300.0, wait=wait)
    schedule.run()
    assert waits == [300.0, 300.0, 300.0]
    assert len(setup.vault.keys()) == 2  # at start, after the growth; not when unchanged
    assert schedule.ticked.is_set()


def test_a_failing_tick_is_logged_in_one_line_and_the_schedule_goes_on(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    write_entries(setup.db, 3)
    writer = setup.writer()
    writer.write()
    delete(setup.db, *seqs(setup.db)[-1:])
    rewrite_head(setup.db)
    write_entries(setup.db, 1, start=20)
    calls = iter([False, True])
    schedule = CheckpointSchedule(writer, 60.0, wait=lambda _s: next(calls))
    with caplog.at_level(logging.ERROR, logger="shipyard.audit"):
        schedule.run()
    failures = [r for r in caplog.records if "not written" in r.getMessage()]
    assert len(failures) == 2  # both ticks ran; neither raised
    assert all(r.exc_info is None for r in failures)
    assert schedule.last_error is not None
    assert "does not extend its last checkpoint" in schedule.last_error


def test_stored_checkpoints_are_canonical_json(setup: Setup) -> None:
    write_entries(setup.db, 1)
    setup.checkpoint()
    (key,) = setup.vault.keys()
    document = json.loads(setup.store.backend.read(key))
    assert document["checkpoint"]["type"] == "shipyard.audit.checkpoint"
    assert document["checkpoint"]["version"] == 1
    assert document["checkpoint"]["key"] == setup.signer.fingerprint
    assert document["signature"]["algorithm"] == "ecdsa-p256-sha256"
