"""The Deployment's probes ask the routes that behave as a probe must: liveness the
process-only route (tests/server/test_health.py drops a real database under it and it
still answers), readiness the route that fails while the database is away."""

from __future__ import annotations

from shipyard.server.admission import LIVENESS_PATH
from tests.deploy.manifests import one


def test_liveness_asks_the_process_and_readiness_the_database() -> None:
    (container,) = one("Deployment")["spec"]["template"]["spec"]["containers"]
    liveness = container["livenessProbe"]["httpGet"]["path"]
    readiness = container["readinessProbe"]["httpGet"]["path"]
    assert liveness == LIVENESS_PATH, "a database outage would restart every pod"
    assert readiness == "/health"  # out of the Service until the database is back
