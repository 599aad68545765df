"""Spool files: private, appended whole, read back even after a crash mid-write."""

from __future__ import annotations

import math
import stat
from pathlib import Path

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.tracking.entities import LogBatch, Resources, RunStatus, Writer
from shipyard.tracking.spool import (
    SpooledBatch,
    SpooledEnd,
    append_spool,
    read_spool,
    rewrite_spool,
    spool_header,
)

RUN = "01jb0000000000000000000000"
WRITER = Writer("laptop", 4242)


def _batch(*steps: int) -> LogBatch:
    return LogBatch(metrics=[(RUN, "loss", float(s), s, 1000 + s) for s in steps],
                    params=[(RUN, "C", "1")])  # fmt: skip


def test_a_spool_file_is_private_and_reads_back_what_was_appended(tmp_path: Path) -> None:
    path = tmp_path / "spool" / f"{RUN}.jsonl"
    header = spool_header(RUN, "churn", "https://example.com", "tokid")
    special = LogBatch(metrics=[(RUN, "x", math.nan, 0, 1), (RUN, "x", -math.inf, 1, 2)])
    append_spool(path, header, [SpooledBatch(_batch(0, 1), "k1", WRITER).record()])
    append_spool(path, header, [
        SpooledBatch(special, "k2", WRITER, "param 'C' is '2'").record(),
        SpooledEnd(RunStatus.FINISHED, Resources(1.0, 2.0), None, _batch(2), "k3", WRITER,
                   RunStatus.FAILED).record(),
    ])  # fmt: skip
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text().count('"spool"') == 1  # one header, written with the first append

    spool = read_spool(path)
    assert (spool.run_id, spool.project, spool.token_id) == (RUN, "churn", "tokid")
    assert [(b.key, b.refused, b.writer) for b in spool.batches] == [
        ("k1", None, WRITER), ("k2", "param 'C' is '2'", WRITER)]  # fmt: skip
    assert spool.batches[0].batch == _batch(0, 1)
    assert math.isnan(spool.batches[1].batch.metrics[0][2])
    assert spool.batches[1].batch.metrics[1][2] == -math.inf
    assert spool.end is not None
    assert (spool.end.status, spool.end.ended_as, spool.end.key) == (
        RunStatus.FINISHED, RunStatus.FAILED, "k3")  # fmt: skip
    assert spool.end.resources == Resources(1.0, 2.0)
    assert spool.values() == 3 + 2 + 2


def test_a_line_torn_by_a_crash_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / f"{RUN}.jsonl"
    append_spool(
        path, spool_header(RUN, "p", "s", ""), [SpooledBatch(_batch(0), "k1", WRITER).record()]
    )
    with path.open("a") as handle:
        handle.write('{"batch": {"metrics": [[')  # the process died mid-write
    assert [b.key for b in read_spool(path).batches] == ["k1"]


def test_what_is_left_replaces_the_file_and_nothing_left_deletes_it(tmp_path: Path) -> None:
    path = tmp_path / f"{RUN}.jsonl"
    records = [SpooledBatch(_batch(s), f"k{s}", WRITER).record() for s in range(3)]
    append_spool(path, spool_header(RUN, "p", "s", ""), records)
    spool = read_spool(path)
    spool.batches = spool.batches[2:]
    assert rewrite_spool(spool)
    assert [b.key for b in read_spool(path).batches] == ["k2"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    spool.batches = []
    assert not rewrite_spool(spool)
    assert not path.exists()


def test_a_file_that_is_not_a_spool_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(InvalidInput, match=r"notes\.jsonl is not a Shipyard spool file"):
        read_spool(path)
