"""Contract of dataset records, on SQLite and PostgreSQL, and through the team server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from shipyard.client.http import ApiClient
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound, PermissionDenied, Unavailable
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.data.records import DatasetRecords, NewVersion
from shipyard.data.records_http import HttpRecords
from shipyard.data.records_lite import LiteRecords, embedded_path
from shipyard.data.records_sql import SqlRecords
from shipyard.store import audit
from shipyard.store.db import Database
from tests.serverkit import PROJECT, Team

A, B = Digest("aa" * 32), Digest("bb" * 32)
CONTRIBUTOR = Principal("carol", roles={PROJECT: Role.CONTRIBUTOR})
VIEWER = Principal("vic", roles={PROJECT: Role.VIEWER})
OUTSIDER = Principal("otto", roles={"fraud": Role.ADMIN})


def _v(name: str, digest: Digest, **extra: object) -> NewVersion:
    return NewVersion(name, "file", digest, 100, 1, **extra)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlalchemy", "sqlite3"])
def records(request: pytest.FixtureRequest, database: Database) -> DatasetRecords:
    """The records through SQLAlchemy, and (embedded SQLite) through the sqlite3 fast path."""
    if request.param == "sqlalchemy":
        return SqlRecords(database)
    if database.dialect != "sqlite":
        pytest.skip("the sqlite3 fast path is for the embedded SQLite store")
    return LiteRecords(_file_of(database), lambda: SqlRecords(database))


def _file_of(database: Database) -> Path:
    path = embedded_path(f"sqlite:///{database.url.database}")
    assert path is not None
    return path


def test_versions_are_numbered_per_dataset_and_idempotent_per_content(
    records: DatasetRecords, database: Database
) -> None:
    [one] = records.register(
        CONTRIBUTOR, PROJECT, [_v("data/t.csv", A, rows=5, git_commit="abc1234")]
    )
    [two, other] = records.register(CONTRIBUTOR, PROJECT, [_v("data/t.csv", B), _v("x.bin", A)])
    [again] = records.register(CONTRIBUTOR, PROJECT, [_v("data/t.csv", A)])
    assert (one.version, two.version, other.version) == (1, 2, 1)
    assert again.id == one.id
    assert again.version == 1
    assert (one.rows, one.git_commit, one.created_by) == (5, "abc1234", "carol")
    assert str(one.ref) == "data/t.csv@v1"
    versions = records.versions(VIEWER, PROJECT, "data/t.csv")
    assert [v.version for v in versions] == [2, 1]
    assert records.get(VIEWER, PROJECT, "data/t.csv").version == 2
    assert records.get(VIEWER, PROJECT, "data/t.csv", version=1).digest == A
    assert records.get(VIEWER, PROJECT, "data/t.csv", digest=B).version == 2
    summaries = records.datasets(VIEWER, PROJECT)
    assert [(s.name, s.versions, s.latest.version) for s in summaries] == [
        ("data/t.csv", 2, 2), ("x.bin", 1, 1),
    ]  # fmt: skip
    with database.read() as session:
        actions = [e.target for e in audit.list_events(session, action="dataset.version.add")]
    assert sorted(actions) == ["dataset:data/t.csv@v1", "dataset:data/t.csv@v2", "dataset:x.bin@v1"]


def test_roles_are_checked_and_nothing_is_written_on_refusal(records: DatasetRecords) -> None:
    with pytest.raises(PermissionDenied, match="vic may not add dataset versions"):
        records.register(VIEWER, PROJECT, [_v("t.csv", A)])
    records.register(LOCAL_OWNER, PROJECT, [_v("t.csv", A)])
    with pytest.raises(PermissionDenied):
        records.versions(OUTSIDER, PROJECT, "t.csv")
    assert len(records.datasets(VIEWER, PROJECT)) == 1


def test_unknown_datasets_and_versions_are_not_found(records: DatasetRecords) -> None:
    records.register(LOCAL_OWNER, PROJECT, [_v("t.csv", A)])
    with pytest.raises(NotFound, match=r"no dataset 'nope.csv'"):
        records.versions(LOCAL_OWNER, PROJECT, "nope.csv")
    with pytest.raises(NotFound, match="has no version v7"):
        records.get(LOCAL_OWNER, PROJECT, "t.csv", version=7)


@pytest.mark.parametrize(
    "item",
    [
        _v("../escape.csv", A),
        _v("/abs.csv", A),
        _v("a//b.csv", A),
        NewVersion("t.csv", "blob", A, 1, 1),
        NewVersion("t.csv", "file", A, -1, 1),
        _v("t.csv", A, git_commit="not a commit"),
    ],
)
def test_malformed_versions_are_refused_before_writing(
    records: DatasetRecords, item: NewVersion
) -> None:
    with pytest.raises(InvalidInput):
        records.register(LOCAL_OWNER, PROJECT, [_v("ok.csv", B), item])
    assert records.datasets(LOCAL_OWNER, PROJECT) == []


@pytest.fixture
def http_records(
    server_app: FastAPI,
    live_server,
    team: Team,  # type: ignore[no-untyped-def]
) -> Iterator[tuple[HttpRecords, HttpRecords]]:
    base = f"http://127.0.0.1:{live_server(server_app)}"
    with (
        ApiClient(base, team.tokens["contributor"]) as writer,
        ApiClient(base, team.tokens["viewer"]) as reader,
    ):
        yield HttpRecords(writer), HttpRecords(reader)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_server_keeps_the_same_contract(
    http_records: tuple[HttpRecords, HttpRecords], database: Database
) -> None:
    writer, reader = http_records
    records: DatasetRecords = writer
    [one] = records.register(LOCAL_OWNER, PROJECT, [_v("data/t.csv", A, message="first")])
    [two] = records.register(LOCAL_OWNER, PROJECT, [_v("data/t.csv", B)])
    [again] = records.register(LOCAL_OWNER, PROJECT, [_v("data/t.csv", A)])
    assert (one.version, two.version, again.id) == (1, 2, one.id)
    assert one.created_by == "contributor"  # the token's user, not the principal passed
    assert [v.version for v in reader.versions(LOCAL_OWNER, PROJECT, "data/t.csv")] == [2, 1]
    assert reader.get(LOCAL_OWNER, PROJECT, "data/t.csv", version=1).message == "first"
    assert reader.datasets(LOCAL_OWNER, PROJECT)[0].versions == 2
    with pytest.raises(PermissionDenied):
        reader.register(LOCAL_OWNER, PROJECT, [_v("data/u.csv", A)])
    with pytest.raises(NotFound):
        reader.get(LOCAL_OWNER, PROJECT, "data/t.csv", version=9)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_both_ways_of_writing_make_one_chain_and_one_numbering(
    database: Database, tmp_path: Path
) -> None:
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
