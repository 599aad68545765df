"""Experiments made without a run (MLflow's ``set_experiment``), and their ids by name."""

from __future__ import annotations

import pytest

from shipyard.auth.service import AuthService
from shipyard.core.errors import PermissionDenied
from shipyard.core.principal import LOCAL_OWNER, Principal, Role
from shipyard.store.db import Database
from shipyard.tracking.entities import RunSpec
from shipyard.tracking.service import TrackingService


def test_an_experiment_is_created_once_and_audited(database: Database) -> None:
    service = TrackingService(database)
    first = service.create_experiment(LOCAL_OWNER, "churn", "baseline")
    assert service.create_experiment(LOCAL_OWNER, "churn", "baseline") == first
    assert service.experiment_ids(LOCAL_OWNER, "churn") == {"baseline": first}
    run = service.create_run(LOCAL_OWNER, "churn", RunSpec("baseline", "r"))
    assert service.experiment_ids(LOCAL_OWNER, "churn") == {"baseline": first}
    assert run.experiment == "baseline"
    created = AuthService(database).audit_entries(LOCAL_OWNER, action="experiment.create")
    assert [e.target for e in created] == ["experiment:baseline"]


def test_a_viewer_creates_no_experiment(database: Database) -> None:
    vera = Principal("vera", roles={"churn": Role.VIEWER})
    with pytest.raises(PermissionDenied):
        TrackingService(database).create_experiment(vera, "churn", "baseline")
    assert TrackingService(database).experiment_ids(vera, "churn") == {}
