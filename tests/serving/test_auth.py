"""``--auth``: Shipyard API tokens; viewers may predict, other projects may not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shipyard.auth.service import AuthService
from shipyard.context import Context, open_context
from shipyard.core.principal import LOCAL_OWNER, Role
from shipyard.serving.options import ServeOptions
from tests.serving.conftest import Data, Models, Server


@pytest.fixture
def ctx(workspace: Path) -> Iterator[Context]:
    context = open_context(workspace)
    yield context
    context.close()


def test_tokens_with_the_predict_permission(
    serve: Callable[..., Server], models: Models, data: Data, ctx: Context
) -> None:
    auth = AuthService(ctx.db)
    auth.add_user(LOCAL_OWNER, "viewer", role=Role.VIEWER, project=ctx.project)
    auth.add_user(LOCAL_OWNER, "outsider", role=Role.MAINTAINER, project="elsewhere")
    viewer = auth.create_token(LOCAL_OWNER, name="t", user="viewer").secret
    outsider = auth.create_token(LOCAL_OWNER, name="t", user="outsider").secret
    server = serve(ServeOptions(models=(f"churn={models.logistic}",), auth=True), ctx=ctx)
    body = {"dataframe_split": data.split(0, 1)}

    missing = server.client.post("/invocations", json=body)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error_code"] == "UNAUTHENTICATED"
    forged = server.client.post(
        "/invocations", json=body, headers={"authorization": "Bearer shy_nope_nope"}
    )
    assert forged.status_code == 401
    denied = server.client.post(
        "/v2/models/churn/infer", json={}, headers={"authorization": f"Bearer {outsider}"}
    )
    assert denied.status_code == 403
    assert "predict" in denied.json()["error"]
    allowed = server.client.post(
        "/invocations", json=body, headers={"authorization": f"Bearer {viewer}"}
    )
    assert allowed.status_code == 200
    assert server.client.get("/v2/health/ready").status_code == 200  # probes stay open
    assert server.client.get("/metrics").status_code == 200
