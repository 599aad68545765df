"""MLflow dataset inputs (``runs/log-inputs``) as Shipyard run inputs.

MLflow describes a dataset (name, digest, source, schema, profile) without its
bytes. The description is stored as a JSON object in the project's objects and
recorded as an input of the run named ``mlflow-dataset:<name>``, so it shows in
``shipyard runs show``; ``runs/get`` reads it back whole.
"""

from __future__ import annotations

import json
from typing import Any

from shipyard.context import Context
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, ShipyardError
from shipyard.core.principal import Role
from shipyard.mlflow_api.common import tracking
from shipyard.objects.grants import ObjectGrants
from shipyard.tracking.entities import RunDetail

__all__ = ["DATASET_PREFIX", "MAX_DESCRIPTION", "dataset_inputs", "log_datasets"]

DATASET_PREFIX = "mlflow-dataset:"
MAX_DESCRIPTION = 1024 * 1024
"""The largest dataset description (with its tags) kept, in bytes of JSON."""


def log_datasets(ctx: Context, project: str, run_id: str, inputs: list[dict[str, Any]]) -> None:
    """Store each ``{"dataset": …, "tags": […]}`` and record it as an input of the run."""
    service = tracking(ctx)
    ctx.principal.require(Role.CONTRIBUTOR, project, "log to runs")  # before storing bytes
    for item in inputs:
        data = json.dumps(item, sort_keys=True, separators=(",", ":")).encode()
        if len(data) > MAX_DESCRIPTION:
            raise InvalidInput(f"a dataset description is over {MAX_DESCRIPTION:,} bytes")
        ref = ctx.objects.put_bytes(data)
        ObjectGrants(ctx.db).grant(ctx.principal, project, [ref], action="run.input")
        name = str(item["dataset"]["name"])
        service.log_input(ctx.principal, run_id, DATASET_PREFIX + name, ref.size, ref.digest.hex)


def dataset_inputs(ctx: Context, detail: RunDetail) -> list[dict[str, Any]]:
    """The MLflow dataset inputs of a run, in the order they were logged."""
    found = []
    for record in detail.inputs:
        if not record.path.startswith(DATASET_PREFIX):
            continue
        try:
            found.append(json.loads(ctx.objects.read_bytes(Digest.parse(record.digest))))
        except (ShipyardError, ValueError):
            continue  # a description lost from the store: the run reads without it
    return found
