"""The Deployment's probes against a real team server whose database goes away: the pod
leaves the Service (readiness fails) but is not restarted (liveness still passes)."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg

from shipyard.server.app import create_app
from shipyard.store.db import Database
from shipyard.store.migrate import upgrade
from tests.conftest import PG_ADMIN_URL, _new_postgres_database
from tests.deploy.manifests import one
from tests.serverkit import running, server_context


def _probe_paths() -> tuple[str, str]:
    (container,) = one("Deployment")["spec"]["template"]["spec"]["containers"]
    return (
        container["livenessProbe"]["httpGet"]["path"],
        container["readinessProbe"]["httpGet"]["path"],
    )


def test_a_database_outage_fails_readiness_but_not_liveness(tmp_path: Path) -> None:
    liveness, readiness = _probe_paths()
    with _new_postgres_database() as url:
        db = Database(url)
        upgrade(db)
        db.dispose()
        ctx = server_context(db, objects=tmp_path / "objects")
        with running(create_app(ctx)) as port:
            base = f"http://127.0.0.1:{port}"
            before = (httpx.get(base + liveness), httpx.get(base + readiness))
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{url.rpartition("/")[2]}" WITH (FORCE)')
            during = (httpx.get(base + liveness), httpx.get(base + readiness))
        ctx.close()
    assert [r.status_code for r in before] == [200, 200]
    assert during[0].status_code == 200, "the outage would restart every pod"
    assert during[1].status_code == 503  # out of the Service until the database is back
