"""Contract of dataset records, on SQLite and PostgreSQL, and through the team server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from shipyard.client.http import ApiClient
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, NotFound, PermissionDenied
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.data.records import DatasetRecords, NewVersion
from shipyard.data.records_http import HttpRecords
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


def test_versions_are_numbered_per_dataset_and_idempotent_per_content(database: Database) -> None:
    records = SqlRecords(database)
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


def test_roles_are_checked_and_nothing_is_written_on_refusal(database: Database) -> None:
    records = SqlRecords(database)
    with pytest.raises(PermissionDenied, match="vic may not add dataset versions"):
        records.register(VIEWER, PROJECT, [_v("t.csv", A)])
    records.register(LOCAL_OWNER, PROJECT, [_v("t.csv", A)])
    with pytest.raises(PermissionDenied):
        records.versions(OUTSIDER, PROJECT, "t.csv")
    assert len(records.datasets(VIEWER, PROJECT)) == 1


def test_unknown_datasets_and_versions_are_not_found(database: Database) -> None:
    records = SqlRecords(database)
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
    database: Database, item: NewVersion
) -> None:
    records = SqlRecords(database)
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
