"""The restore drill: back up a team server under write load, destroy its database and
store, restore both, and find every record written before the backup began.

Real parts only: ``shipyard server`` on PostgreSQL with its objects on S3 (moto's
server), client processes logging runs through the SDK the whole time, and the
``shipyard backup`` / ``restore`` / ``fsck`` / ``audit verify`` commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from shipyard.context import Context
from shipyard.core.settings import build_settings
from shipyard.runs import metric_history
from shipyard.store.db import Database
from tests.conftest import _new_postgres_database
from tests.serverkit import PROJECT, make_team, start_server, stop_server

pytestmark = pytest.mark.slow
POINTS = 20
WRITERS = 3

WRITER = textwrap.dedent(
    """
    import pathlib, sys
    import shipyard

    done, stop = open(sys.argv[1], "a", buffering=1), pathlib.Path(sys.argv[2])
    n = 0
    while not stop.exists():
        with shipyard.start_run(name=f"{sys.argv[3]}-{n}") as run:
            run.log_param("n", n)
            for step in range(POINTS):
                run.log_metric("m", float(step * n), step=step)
            if n % 3 == 0:
                note = pathlib.Path(sys.argv[4]) / f"{sys.argv[3]}-{n}.txt"
                note.write_text(f"{sys.argv[3]} {n}\\n" * 50)
                run.log_artifact(note)
        done.write(run.id + "\\n")
        n += 1
    """
).replace("POINTS", str(POINTS))


def _shipyard(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "shipyard"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def cli_env(s3_endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    return env | {"SHIPYARD_OBJECTS_S3_ENDPOINT_URL": s3_endpoint}


@pytest.fixture
def original_db() -> Iterator[str]:
    with _new_postgres_database() as url:
        yield url


@pytest.fixture
def restored_db() -> Iterator[str]:
    with _new_postgres_database() as url:
        yield url


def _writer(
    done: Path, stop: Path, name: str, notes: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """A client process logging runs until ``stop`` exists; each ended run's id goes to
    ``done`` once ``end`` has returned."""
    command = [sys.executable, "-c", WRITER, str(done), str(stop), name, str(notes)]
    return subprocess.Popen(command, env=env)


def _ids(path: Path) -> set[str]:
    return {line for line in path.read_text().splitlines() if line} if path.exists() else set()


def _wait_for(path: Path, count: int, writers: list[subprocess.Popen[bytes]]) -> None:
    import time

    deadline = time.monotonic() + 120
    while len(_ids(path)) < count:
        assert all(w.poll() is None for w in writers), "a writer died"
        assert time.monotonic() < deadline, "the writers logged too little in 2 minutes"
        time.sleep(0.2)


def test_backup_under_load_then_restore_after_losing_everything(
    tmp_path: Path, s3_bucket: str, cli_env: dict[str, str], original_db: str, restored_db: str
) -> None:
    from shipyard.store.migrate import upgrade

    database = Database(original_db)
    upgrade(database)
    team = make_team(database)
    database.dispose()
    store = f"s3://{s3_bucket}/shipyard"
    process, url = start_server(
        ["--db", original_db, "--store", store], cli_env, tmp_path / "server.log"
    )
    done, stop, notes = tmp_path / "done.txt", tmp_path / "stop", tmp_path / "notes"
    notes.mkdir()
    client_env = cli_env | {"SHIPYARD_URI": url, "SHIPYARD_TOKEN": team.tokens["contributor"],
                            "SHIPYARD_PROJECT": PROJECT}  # fmt: skip
    writers = [_writer(done, stop, f"w{i}", notes, client_env) for i in range(WRITERS)]
    try:
        _wait_for(done, 6, writers)
        before = _ids(done)  # every one of these ended before the backup began
        backups = f"s3://{s3_bucket}/backups"
        taken = _shipyard("--uri", original_db, "backup", backups, "--store", store, "--json",
                          env=cli_env)  # fmt: skip
        assert taken.returncode == 0, taken.stderr
        _wait_for(done, len(_ids(done)) + 3, writers)  # still writing after the backup
    finally:
        stop.touch()
        for writer in writers:
            writer.wait(timeout=120)
        stop_server(process)
    assert all(writer.returncode == 0 for writer in writers)
    report = json.loads(taken.stdout)
    assert report["tables"]["runs"] >= len(before)

    # Lose everything: the database is dropped, the store's bucket prefix emptied.
    _drop(original_db)
    s3 = boto3.client("s3", endpoint_url=cli_env["SHIPYARD_OBJECTS_S3_ENDPOINT_URL"])
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket, Prefix="shipyard/"):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=s3_bucket, Key=item["Key"])

    restored_store = f"s3://{s3_bucket}/restored"
    restored = _shipyard("--uri", restored_db, "restore", backups, "--store", restored_store,
                         "--json", env=cli_env)  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["snapshot"] == report["snapshot"]
    checks = cli_env | {"SHIPYARD_OBJECTS_PATH": restored_store}
    fsck = _shipyard("--uri", restored_db, "fsck", env=checks)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    verify = _shipyard("--uri", restored_db, "audit", "verify", env=checks)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    flags = {"store.uri": restored_db, "project.name": PROJECT, "objects.path": restored_store,
             "objects.s3_endpoint_url": cli_env["SHIPYARD_OBJECTS_S3_ENDPOINT_URL"]}  # fmt: skip
    ctx = Context(build_settings(env={}, flags=flags))
    try:
        for run_id in before:
            history = metric_history(run_id, "m", context=ctx)
            assert [point.step for point in history] == list(range(POINTS)), run_id
    finally:
        ctx.close()

    # The restored server takes new writes: its sequences start past the restored rows.
    process, url = start_server(
        ["--db", restored_db, "--store", restored_store], cli_env, tmp_path / "restored.log"
    )
    try:
        stop.unlink()
        more = tmp_path / "more.txt"
        writer = _writer(more, stop, "after", notes, client_env | {"SHIPYARD_URI": url})
        _wait_for(more, 2, [writer])
        stop.touch()
        assert writer.wait(timeout=120) == 0
    finally:
        stop_server(process)
    again = _shipyard("--uri", restored_db, "audit", "verify", env=checks)
    assert again.returncode == 0, again.stdout + again.stderr


def _drop(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
