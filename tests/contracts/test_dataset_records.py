"""Contract of dataset records, in every mode: LiteRecords (embedded SQLite, the sqlite3
fast path), SqlRecords (PostgreSQL) and HttpRecords (the team server), each taken from
the context of its mode (``ctx.open_datasets()``) as the persona that asks.

The tests at the end are the fast path's own: one chain and one numbering with
the SQLAlchemy path, and what it does with a missing or locked file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound, PermissionDenied, Unavailable
from shipyard.core.principal import Principal, Role
from shipyard.data.records import DatasetRecords, DatasetVersion, NewVersion
from shipyard.data.records_lite import LiteRecords, embedded_path
from shipyard.data.records_sql import SqlRecords
from shipyard.store import audit
from shipyard.store.db import Database
from tests.contracts.sdk_modes import Mode
from tests.serverkit import PROJECT

A, B = Digest("aa" * 32), Digest("bb" * 32)
CONTRIBUTOR = Principal("carol", roles={PROJECT: Role.CONTRIBUTOR})
VIEWER = Principal("vic", roles={PROJECT: Role.VIEWER})


def _v(name: str, digest: Digest, **extra: object) -> NewVersion:
    return NewVersion(name, "file", digest, 100, 1, **extra)  # type: ignore[arg-type]


class Records:
    """The records as one persona of the mode sees them (the principal goes along)."""

    def __init__(self, mode: Mode, persona: str) -> None:
        self.context = mode.persona(persona)
        self.records: DatasetRecords = self.context.open_datasets()

    def register(self, *items: NewVersion) -> list[DatasetVersion]:
        return self.records.register(self.context.principal, PROJECT, items)

    def versions(self, name: str) -> list[DatasetVersion]:
        return self.records.versions(self.context.principal, PROJECT, name)

    def get(self, name: str, **which: object) -> DatasetVersion:
        return self.records.get(self.context.principal, PROJECT, name, **which)  # type: ignore[arg-type]

    def datasets(self, prefix: str) -> list[tuple[str, int, int]]:
        """``(name, versions, latest)`` of the datasets under ``prefix`` (the store is shared)."""
        summaries = self.records.datasets(self.context.principal, PROJECT)
        return [(s.name, s.versions, s.latest.version) for s in summaries
                if s.name.startswith(prefix)]  # fmt: skip


def test_versions_are_numbered_per_dataset_and_idempotent_per_content(mode: Mode) -> None:
    writer, reader = Records(mode, "contributor"), Records(mode, "viewer")
    d = mode.unique("ds")
    [one] = writer.register(_v(f"{d}/t.csv", A, rows=5, git_commit="abc1234", message="first"))
    [two, other] = writer.register(_v(f"{d}/t.csv", B), _v(f"{d}/x.bin", A))
    [again] = writer.register(_v(f"{d}/t.csv", A))
    assert (one.version, two.version, other.version) == (1, 2, 1)
    assert (again.id, again.version) == (one.id, 1)
    assert (one.rows, one.git_commit, one.created_by) == (5, "abc1234", "contributor")
    assert str(one.ref) == f"{d}/t.csv@v1"
    assert [v.version for v in reader.versions(f"{d}/t.csv")] == [2, 1]
    assert reader.get(f"{d}/t.csv").version == 2
    assert reader.get(f"{d}/t.csv", version=1) == one  # read back exactly as written
    assert reader.get(f"{d}/t.csv", digest=B).version == 2
    assert reader.datasets(d) == [(f"{d}/t.csv", 2, 2), (f"{d}/x.bin", 1, 1)]
    admin = mode.persona("root")
    entries = admin.auth.audit_entries(admin.principal, action="dataset.version.add", limit=500)
    mine = sorted(e.target for e in entries if e.target.startswith(f"dataset:{d}/"))
    assert mine == [f"dataset:{d}/t.csv@v1", f"dataset:{d}/t.csv@v2", f"dataset:{d}/x.bin@v1"]
    assert {e.principal for e in entries if e.target in mine} == {"contributor"}


def test_roles_are_checked_and_nothing_is_written_on_refusal(mode: Mode) -> None:
    d = mode.unique("ds")
    with pytest.raises(PermissionDenied, match="viewer may not add dataset versions"):
        Records(mode, "viewer").register(_v(f"{d}/t.csv", A))
    Records(mode, "maintainer").register(_v(f"{d}/u.csv", A))
    with pytest.raises(PermissionDenied):
        Records(mode, "outsider").versions(f"{d}/u.csv")
    with pytest.raises(PermissionDenied):
        Records(mode, "outsider").datasets(d)
    assert Records(mode, "viewer").datasets(d) == [(f"{d}/u.csv", 1, 1)]


def test_unknown_datasets_and_versions_are_not_found(mode: Mode) -> None:
    d = mode.unique("ds")
    records = Records(mode, "contributor")
    records.register(_v(f"{d}/t.csv", A))
    with pytest.raises(NotFound, match=rf"no dataset '{d}/nope.csv'"):
        records.versions(f"{d}/nope.csv")
    with pytest.raises(NotFound, match=rf"no dataset '{d}/nope.csv'"):
        records.get(f"{d}/nope.csv")
    with pytest.raises(NotFound, match="has no version v7"):
        records.get(f"{d}/t.csv", version=7)
    with pytest.raises(NotFound):
        records.get(f"{d}/t.csv", digest=B)


@pytest.mark.parametrize(
    "bad",
    [
        _v("../escape.csv", A),
        _v("/abs.csv", A),
        _v("a//b.csv", A),
        NewVersion("t.csv", "blob", A, 1, 1),
        NewVersion("t.csv", "file", A, -1, 1),
        _v("t.csv", A, git_commit="not a commit"),
    ],
    ids=["escape", "absolute", "double-slash", "kind", "size", "commit"],
)
def test_malformed_versions_are_refused_before_writing(mode: Mode, bad: NewVersion) -> None:
    d = mode.unique("ds")
    records = Records(mode, "contributor")
    with pytest.raises(InvalidInput):
        records.register(_v(f"{d}/ok.csv", B), bad)
    assert records.datasets(d) == []


# -- the sqlite3 fast path's own behaviour, beside the SQLAlchemy path -------------------


def _file_of(database: Database) -> Path:
    path = embedded_path(f"sqlite:///{database.url.database}")
    assert path is not None
    return path


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_both_ways_of_writing_make_one_chain_and_one_numbering(database: Database) -> None:
    path = _file_of(database)
    lite, sql = LiteRecords(path, lambda: SqlRecords(database)), SqlRecords(database)
    [one] = lite.register(CONTRIBUTOR, PROJECT, [_v("t.csv", A, rows=3, message="first")])
    [two] = sql.register(CONTRIBUTOR, PROJECT, [_v("t.csv", B)])
    [three] = lite.register(CONTRIBUTOR, PROJECT, [_v("t.csv", Digest("cc" * 32))])
    assert (one.version, two.version, three.version) == (1, 2, 3)
    assert sql.get(VIEWER, PROJECT, "t.csv", version=1) == one  # read back exactly as written
    assert lite.register(CONTRIBUTOR, PROJECT, [_v("t.csv", B)]) == [two]
    with database.read() as session:
        assert audit.verify(session) == []
        assert audit.count_events(session) == 3


def test_a_missing_or_older_store_goes_the_sqlalchemy_way(
    database: Database, tmp_path: Path
) -> None:
    lite = LiteRecords(tmp_path / "not-there.db", lambda: SqlRecords(database))
    [one] = lite.register(CONTRIBUTOR, PROJECT, [_v("t.csv", A)])
    assert SqlRecords(database).get(VIEWER, PROJECT, "t.csv").id == one.id


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_locked_store_is_one_clear_error_and_nothing_written(database: Database) -> None:
    import sqlite3

    path = _file_of(database)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        lite = LiteRecords(path, lambda: SqlRecords(database), busy_timeout_s=0.2)
        with pytest.raises(Unavailable, match=r"stayed locked for 0\.2 s"):
            lite.register(CONTRIBUTOR, PROJECT, [_v("t.csv", A)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert SqlRecords(database).datasets(VIEWER, PROJECT) == []
