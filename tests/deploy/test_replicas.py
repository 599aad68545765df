"""Several `shipyard server` replicas on one PostgreSQL database behave as one server:
what one replica learns (a revocation, an applied request, a failed login) holds on
the others; and behind nginx, a replica killed mid-load loses and doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from shipyard.auth.service import AuthService
from shipyard.context import Context
from shipyard.core.principal import LOCAL_OWNER
from shipyard.core.settings import build_settings
from shipyard.objects.open import open_server_store
from shipyard.runs import metric_history
from shipyard.store import audit
from shipyard.store.db import Database
from shipyard.tracking.tables import RunRow
from tests.certs import make_ca
from tests.deploy.nginxkit import Replica, nginx_binary, replicas, running_nginx
from tests.serverkit import PASSWORD, PROJECT, Team, fresh_database, make_team


@dataclass
class Pair:
    a: Replica
    b: Replica
    team: Team
    database: Database


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("replica-pair")
    with fresh_database("postgresql", folder) as database:
        team = make_team(database)
        uri = database.url.render_as_string(hide_password=False)
        with replicas(uri, folder / "objects", folder, 2) as (a, b):
            yield Pair(a, b, team, database)


def _me(replica: Replica, token: str) -> int:
    answer = httpx.get(f"{replica.url}/api/v1/me", headers=_bearer(token), timeout=10)
    return answer.status_code


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_revoked_on_one_replica_is_refused_by_the_other(pair: Pair) -> None:
    created = AuthService(pair.database).create_token(LOCAL_OWNER, name="ci", user="maintainer")
    assert _me(pair.b, created.secret) == 200  # b now holds it in its cache
    revoked = httpx.delete(
        f"{pair.a.url}/api/v1/tokens/{created.info.id}",
        headers=_bearer(pair.team.tokens["root"]), timeout=10,
    )  # fmt: skip
    assert revoked.status_code == 204
    assert _me(pair.a, created.secret) == 401
    # b asks the database again once its entry is a second old (the bound itself is
    # checked with an injected clock in tests/server/test_principal_cache.py).
    deadline = time.monotonic() + 15
    while _me(pair.b, created.secret) != 401:
        assert time.monotonic() < deadline, "the other replica still accepts a revoked token"
        time.sleep(0.1)


def test_a_request_sent_again_to_another_replica_is_applied_once(pair: Pair) -> None:
    headers = {**_bearer(pair.team.tokens["root"]), "Idempotency-Key": uuid.uuid4().hex}
    name = f"once-{uuid.uuid4().hex[:8]}"
    first = httpx.post(f"{pair.a.url}/api/v1/tokens", json={"name": name}, headers=headers)
    again = httpx.post(f"{pair.b.url}/api/v1/tokens", json={"name": name}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    listed = httpx.get(f"{pair.b.url}/api/v1/tokens", headers=_bearer(pair.team.tokens["root"]))
    assert [t["name"] for t in listed.json()].count(name) == 1


def test_failed_logins_on_every_replica_count_together(pair: Pair) -> None:
    wrong = {"name": "viewer", "password": "not the password at all"}
    for n in range(5):
        replica = (pair.a, pair.b)[n % 2]
        answer = httpx.post(f"{replica.url}/api/v1/auth/login", json=wrong, timeout=30)
        assert answer.status_code == 401
    right = {"name": "viewer", "password": PASSWORD}
    locked = httpx.post(f"{pair.a.url}/api/v1/auth/login", json=right, timeout=30)
    assert locked.status_code == 429  # the right password too, until the lock ends


# -- three replicas behind nginx, one killed under load ----------------------------------

LOGGERS, RUNS_EACH, POINTS = 8, 2, 200
REGISTRARS, VERSIONS_EACH = 8, 2
MOVERS, MOVES = 8, (1, 2, 1)
MOVERS_DATA, OBJECTS_EACH = 8, 3
LOGGER_SCRIPT = f"""
import shipyard
for _ in range({RUNS_EACH}):
    with shipyard.start_run("under-load") as run:
        for step in range({POINTS}):
            run.log_metric("loss", step / 2, step=step)
    print(run.id, flush=True)
"""


@pytest.mark.slow
def test_three_replicas_behind_nginx_lose_nothing_when_one_is_killed(
    tmp_path: Path,
) -> None:
    nginx_binary()
    from shipyard.models import save_model

    ca = make_ca(tmp_path)
    cert, key = ca.issue(tmp_path)
    model_dir = _tiny_model(tmp_path / "model", save_model)
    with fresh_database("postgresql", tmp_path) as database:
        team = make_team(database)
        uri = database.url.render_as_string(hide_password=False)
        with (
            ExitStack() as contexts,
            replicas(uri, tmp_path / "objects", tmp_path, 3) as servers,
            running_nginx(
                tmp_path / "nginx", cert=cert, key=key, api=[s.address for s in servers]
            ) as nginx,
        ):

            def context(persona: str) -> Context:
                ctx = Context(build_settings(env={}, flags={
                    "store.uri": nginx.url, "client.token": team.tokens[persona],
                    "project.name": PROJECT, "client.ca_bundle": str(ca.cert)}))  # fmt: skip
                contexts.callback(ctx.close)
                return ctx

            setup = context("maintainer")
            for _ in range(2):  # versions 1 and 2, which the alias movers move between
                setup.registry.publish_directory(model_dir, "churn")
            env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
            env |= {"SHIPYARD_URI": nginx.url, "SHIPYARD_TOKEN": team.tokens["contributor"],
                    "SHIPYARD_PROJECT": PROJECT, "SHIPYARD_CA_BUNDLE": str(ca.cert)}  # fmt: skip
            loggers = [_start_logger(env, tmp_path) for _ in range(LOGGERS)]
            work = Work()
            threads = [
                *(work.thread(_register, context("maintainer"), model_dir)
                  for _ in range(REGISTRARS)),
                *(work.thread(_move, context("maintainer"), f"lane{n}") for n in range(MOVERS)),
                *(work.thread(_push_pull, context("contributor"), n)
                  for n in range(MOVERS_DATA)),
            ]  # fmt: skip
            _wait_for_runs(database, 3)  # the load is under way
            os.kill(servers[1].process.pid, signal.SIGKILL)
            outputs = [p.communicate(timeout=300) for p in loggers]
            for thread in threads:
                thread.join(timeout=300)
                assert not thread.is_alive(), "a client is stuck"
            assert work.errors == []
            for process, (_out, err) in zip(loggers, outputs, strict=True):
                assert process.returncode == 0, err[-2000:]
            run_ids = [line for out, _ in outputs for line in out.split()]
            # nginx met the dead replica (refused connections, or answers cut off).
            assert "Connection refused" in nginx.error_log or "prematurely" in nginx.error_log
            _check_everything_once(database, run_ids, work)


def _start_logger(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """A process of its own (the SDK has one active-run stack per process)."""
    command = [sys.executable, "-c", LOGGER_SCRIPT]
    pipe = subprocess.PIPE
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=pipe, stderr=pipe, text=True)


class Work:
    """Client threads, each recording what the server answered it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.versions: list[int] = []

    def thread(self, target: Callable[..., None], *args: object) -> threading.Thread:
        def body() -> None:
            try:
                target(self, *args)
            except Exception as exc:  # reported by the test, with what it was
                with self.lock:
                    self.errors.append(f"{target.__name__}: {type(exc).__name__}: {exc}")

        thread = threading.Thread(target=body, daemon=True)
        thread.start()
        return thread


def _register(work: Work, ctx: Context, model_dir: Path) -> None:
    for _ in range(VERSIONS_EACH):
        version = ctx.registry.publish_directory(model_dir, "churn").version
        with work.lock:
            work.versions.append(version)


def _move(work: Work, ctx: Context, alias: str) -> None:
    for version in MOVES:
        ctx.aliases.set_alias(ctx.principal, PROJECT, "churn", alias, version)


def _push_pull(work: Work, ctx: Context, n: int) -> None:
    store = open_server_store(ctx.settings, ctx.settings.store.uri)
    try:
        for size_mib in range(2, 2 + 2 * OBJECTS_EACH, 2):  # 2, 4, 6 MiB: the last chunked
            data = os.urandom(size_mib * 1024 * 1024 + n)
            ref = store.put_bytes(data)
            if b"".join(store.iter_content(ref.digest)) != data:
                raise AssertionError(f"object {ref.digest.hex} came back different")
    finally:
        store.close()


def _tiny_model(folder: Path, save_model: Callable[..., object]) -> Path:
    import numpy as np
    from sklearn.linear_model import LinearRegression

    features = np.arange(20.0).reshape(10, 2)
    save_model(LinearRegression().fit(features, features.sum(1)), folder,
               input_example=features[:2])  # fmt: skip
    return folder


def _wait_for_runs(database: Database, count: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with database.read() as session:
            if (session.scalar(select(func.count()).select_from(RunRow)) or 0) >= count:
                return
        time.sleep(0.05)
    raise AssertionError("no run started")


def _check_everything_once(database: Database, run_ids: list[str], work: Work) -> None:
    owner = Context(build_settings(env={}, flags={
        "store.uri": database.url.render_as_string(hide_password=False),
        "project.name": PROJECT}))  # fmt: skip
    try:
        assert len(run_ids) == len(set(run_ids)) == LOGGERS * RUNS_EACH
        with database.read() as session:  # the database holds no other runs
            found = session.execute(select(RunRow.id, RunRow.status)).all()
        assert sorted(row.id for row in found) == sorted(run_ids)  # no run twice, none lost
        assert {str(row.status) for row in found} == {"finished"}
        for run_id in run_ids:
            steps = [p.step for p in metric_history(run_id, "loss", context=owner)]
            assert steps == list(range(POINTS)), run_id  # every point once
        versions = owner.registry.list_versions(owner.principal, PROJECT, "churn", limit=1000)
        total = 2 + REGISTRARS * VERSIONS_EACH
        assert sorted(v.version for v in versions) == list(range(1, total + 1))  # no gap
        assert sorted(work.versions) == list(range(3, total + 1))  # each answered once
        for n in range(MOVERS):
            moves = owner.aliases.history(owner.principal, PROJECT, "churn", f"lane{n}")
            assert [m.to_version for m in moves] == list(MOVES)
        with database.read() as session:
            assert audit.check(session).breaks == []
    finally:
        owner.close()
