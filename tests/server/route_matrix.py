"""What every API route allows, persona by persona: the table the matrix test checks.

A new route must be added here (the matrix test fails until it is): say who may
call it and how to build a valid request for it. ``prepare`` gets a :class:`Kit`
(the auth service and the server's context, to create what the request needs)
and the persona, and returns the path and the body (JSON, or bytes sent as is).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shipyard.auth.service import AuthService
from shipyard.context import Context
from shipyard.core.digest import ObjectRef, digest_of
from shipyard.core.principal import LOCAL_OWNER
from shipyard.monitoring.live.result import MonitorResult
from shipyard.monitoring.live.results_store import save_result
from shipyard.objects.framing import encode_frames
from shipyard.objects.grants import ObjectGrants
from shipyard.tracking.entities import LogBatch, RunSpec
from shipyard.tracking.service import TrackingService
from tests.serverkit import PROJECT

AUTHENTICATED = frozenset(
    {"root", "maintainer", "contributor", "viewer", "outsider", "other-project-token",
     "capped-admin"}
)  # fmt: skip
UNAUTHENTICATED = ("anonymous", "revoked", "expired")
ADMINS = frozenset({"root"})
PROJECT_MAINTAINERS = frozenset({"root", "maintainer"})
PROJECT_CONTRIBUTORS = PROJECT_MAINTAINERS | {"contributor"}
PROJECT_VIEWERS = PROJECT_CONTRIBUTORS | {"viewer", "capped-admin"}
RESTRICTED = frozenset({"other-project-token", "capped-admin"})
"""Tokens capped at a role or scoped to a project: they create and revoke no other tokens."""

# persona → the user it acts as (for routes that act on the caller's own things)
USER_OF = {p: p for p in AUTHENTICATED} | {
    "other-project-token": "maintainer",
    "capped-admin": "root",
}

Request = tuple[str, dict[str, Any] | bytes | None]


@dataclass(frozen=True)
class Kit:
    auth: AuthService
    ctx: Context
    """The server's own context (its database and object store)."""

    @property
    def tracking(self) -> TrackingService:
        return TrackingService(self.ctx.db)

    def run(self) -> str:
        """A new running run in PROJECT, with a metric."""
        run_id = self.tracking.create_run(LOCAL_OWNER, PROJECT, RunSpec("matrix", "r")).id
        self.tracking.log(LOCAL_OWNER, LogBatch(metrics=[(run_id, "loss", 0.5, 0, 1)]))
        return run_id

    def stored(self, data: bytes | None = None) -> ObjectRef:
        """Bytes stored on the server and held by PROJECT."""
        ref = self.ctx.objects.put_bytes(data if data is not None else os.urandom(64))
        ObjectGrants(self.ctx.db).grant(LOCAL_OWNER, PROJECT, [ref])
        return ref


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    prepare: Callable[[Kit, str], Request]
    """Given the kit and the persona, return (path, body)."""
    unseen: str = "403"
    """What a persona that may not read PROJECT gets: a run it may not see is not
    found (404), as an unknown id; a heartbeat skips it (2xx), as an unknown id."""


def _project_archive() -> bytes:
    """A valid archive of a new project (its row alone)."""
    from tests.projects_io.archives import minimal_archive

    return minimal_archive(f"moved-{uuid.uuid4().hex[:8]}")


def _fixed(path: str, body: dict[str, Any] | None = None) -> Callable[[Kit, str], Request]:
    return lambda _kit, _persona: (path, body)


def _monitored(kit: Kit) -> str:
    """A monitor with a stored result in PROJECT (so its alerts and report exist)."""
    end = datetime(2026, 12, 1, tzinfo=UTC)
    result = MonitorResult("churn", "churn", end - timedelta(days=1), end, 3600.0, 10)
    save_result(kit.ctx.for_project(PROJECT), result, interval_s=None, notified=False)
    return "churn"


def _throwaway_user(auth: AuthService) -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    auth.add_user(LOCAL_OWNER, name)
    return name


def _own_token(kit: Kit, persona: str) -> Request:
    created = kit.auth.create_token(LOCAL_OWNER, name="doomed", user=USER_OF.get(persona, "root"))
    return f"/api/v1/tokens/{created.info.id}", None


def _manifest(kit: Kit, _persona: str) -> Request:
    data = os.urandom(3000)
    first, second = kit.stored(data[:1000]), kit.stored(data[1000:])
    chunks = [[first.digest.hex, first.size], [second.digest.hex, second.size]]
    return f"{OBJECTS}/{digest_of(data).hex}/manifest", {"chunks": chunks}


MODELS = f"/api/v1/projects/{PROJECT}/models"
P = "/api/v1/projects/{project}/models"
_DATASETS = f"/api/v1/projects/{PROJECT}/datasets"


def _model(kit: Kit, *, aliases: tuple[int, ...] = ()) -> str:
    """A new model with two versions (metadata only) and ``aliases`` moves of @production."""
    from tests.server.registry_seed import seed_model

    return seed_model(kit.auth.db, PROJECT, aliases)


def _on_model(
    suffix: str, body: dict[str, Any] | None = None, **seed: Any
) -> Callable[[Kit, str], Request]:
    return lambda kit, _p: (f"{MODELS}/{_model(kit, **seed)}{suffix}", body)


def _new_version(_kit: Kit, _persona: str) -> Request:
    from tests.server.registry_seed import model_files

    return f"{MODELS}/m{uuid.uuid4().hex[:8]}/versions", {"files": model_files()}


def _stored_version(kit: Kit, _persona: str) -> Request:
    """A small model's files uploaded to PROJECT, named for registration."""
    import base64

    from tests.server.registry_seed import model_files

    files = []
    for path, content in model_files().items():
        ref = kit.stored(base64.b64decode(content))
        files.append({"path": path, "blake3": ref.digest.hex, "size": ref.size})
    return f"{MODELS}/m{uuid.uuid4().hex[:8]}/versions/stored", {"files": files}


def _dataset(kit: Kit) -> str:
    """A dataset with one version in PROJECT (made directly in the database)."""
    from shipyard.core.digest import Digest
    from shipyard.data.records import NewVersion
    from shipyard.data.records_sql import SqlRecords

    name = f"data/{uuid.uuid4().hex[:8]}.csv"
    SqlRecords(kit.auth.db).register(
        LOCAL_OWNER, PROJECT, [NewVersion(name, "file", Digest("cd" * 32), 10, 1)]
    )
    return name


EVALUATION = {
    "data_path": "data/holdout.csv",
    "data_digest": "ef" * 32,
    "rows": 200,
    "target": "churned",
    "metrics": {"accuracy": 0.91},
}
WRITER = {"host": "matrix-host", "pid": 1}
OBJECTS = f"/api/v1/projects/{PROJECT}/objects"

ROUTES: dict[tuple[str, str], Case] = {
    # -- auth ----------------------------------------------------------------------------
    ("GET", "/api/v1/me"): Case(AUTHENTICATED, _fixed("/api/v1/me")),
    ("GET", "/api/v1/users"): Case(ADMINS, _fixed("/api/v1/users")),
    ("POST", "/api/v1/users"): Case(
        ADMINS, lambda _k, _p: ("/api/v1/users", {"name": f"n{uuid.uuid4().hex[:8]}"})
    ),
    ("POST", "/api/v1/users/{name}/disable"): Case(
        ADMINS, lambda k, _p: (f"/api/v1/users/{_throwaway_user(k.auth)}/disable", None)
    ),
    ("POST", "/api/v1/users/{name}/enable"): Case(
        ADMINS, lambda k, _p: (f"/api/v1/users/{_throwaway_user(k.auth)}/enable", None)
    ),
    ("PUT", "/api/v1/projects/{project}/members/{name}"): Case(
        PROJECT_MAINTAINERS,
        lambda k, _p: (
            f"/api/v1/projects/{PROJECT}/members/{_throwaway_user(k.auth)}",
            {"role": "viewer"},
        ),
    ),
    ("GET", "/api/v1/tokens"): Case(AUTHENTICATED, _fixed("/api/v1/tokens")),
    ("POST", "/api/v1/tokens"): Case(
        AUTHENTICATED - RESTRICTED, _fixed("/api/v1/tokens", {"name": "x"})
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): Case(AUTHENTICATED - RESTRICTED, _own_token),
    ("GET", "/api/v1/audit"): Case(ADMINS, _fixed("/api/v1/audit")),
    ("GET", "/api/v1/audit/verify"): Case(ADMINS, _fixed("/api/v1/audit/verify")),
    ("GET", "/metrics"): Case(AUTHENTICATED, _fixed("/metrics")),
    # -- tracking ------------------------------------------------------------------------
    ("POST", "/api/v1/projects/{project}/runs"): Case(
        PROJECT_CONTRIBUTORS, _fixed(f"/api/v1/projects/{PROJECT}/runs", {"name": "r"})
    ),
    ("GET", "/api/v1/projects/{project}/runs"): Case(
        PROJECT_VIEWERS, _fixed(f"/api/v1/projects/{PROJECT}/runs")
    ),
    ("POST", "/api/v1/projects/{project}/runs/search"): Case(
        PROJECT_VIEWERS,
        _fixed(f"/api/v1/projects/{PROJECT}/runs/search", {"filter": "metrics.loss < 1"}),
    ),
    ("POST", "/api/v1/projects/{project}/runs/write"): Case(
        PROJECT_CONTRIBUTORS,
        lambda k, _p: (
            f"/api/v1/projects/{PROJECT}/runs/write",
            {
                "ends": [{"run_id": k.run(), "outcome": {"status": "finished"}}],
                "starts": [{"spec": {"name": "s"}, "outcome": {"status": "finished"}}],
            },
        ),
    ),
    ("GET", "/api/v1/projects/{project}/runs/tagged"): Case(
        PROJECT_VIEWERS,
        _fixed(f"/api/v1/projects/{PROJECT}/runs/tagged?experiment=e&value=k&want=w"),
    ),
    ("GET", "/api/v1/projects/{project}/monitors/{name}/history"): Case(
        PROJECT_VIEWERS, _fixed(f"/api/v1/projects/{PROJECT}/monitors/churn/history")
    ),
    ("GET", "/api/v1/projects/{project}/pipelines/schedules"): Case(
        PROJECT_VIEWERS, _fixed(f"/api/v1/projects/{PROJECT}/pipelines/schedules")
    ),
    ("GET", "/api/v1/projects/{project}/monitors"): Case(
        PROJECT_VIEWERS, _fixed(f"/api/v1/projects/{PROJECT}/monitors")
    ),
    # A dry run (nothing stored, nobody told) reads like monitor status: viewers may.
    ("POST", "/api/v1/projects/{project}/monitors/{name}/runs"): Case(
        PROJECT_VIEWERS,
        _fixed(
            f"/api/v1/projects/{PROJECT}/monitors/churn/runs",
            {"config": {"model": "churn"}, "save": False, "act": False},
        ),
    ),
    ("POST", "/api/v1/projects/{project}/monitors/{name}/actions"): Case(
        PROJECT_CONTRIBUTORS,
        _fixed(
            f"/api/v1/projects/{PROJECT}/monitors/churn/actions",
            {"event": "breach", "breaches": ["drift"], "webhooks": [], "problems": []},
        ),
    ),
    ("GET", "/api/v1/projects/{project}/monitors/{name}/alerts"): Case(
        PROJECT_VIEWERS,
        lambda k, _p: (f"/api/v1/projects/{PROJECT}/monitors/{_monitored(k)}/alerts", None),
    ),
    ("GET", "/api/v1/projects/{project}/monitors/{name}/report"): Case(
        PROJECT_VIEWERS,
        lambda k, _p: (f"/api/v1/projects/{PROJECT}/monitors/{_monitored(k)}/report", None),
    ),
    ("GET", "/api/v1/projects/{project}/experiments"): Case(
        PROJECT_VIEWERS, _fixed(f"/api/v1/projects/{PROJECT}/experiments")
    ),
    ("POST", "/api/v1/runs/log"): Case(
        PROJECT_CONTRIBUTORS,
        lambda k, _p: (
            "/api/v1/runs/log",
            {"metrics": [[k.run(), "acc", 0.9, 1, 2]], "params": [], "tags": []},
        ),
        unseen="404",
    ),
    ("POST", "/api/v1/runs/heartbeat"): Case(
        PROJECT_CONTRIBUTORS,
        lambda k, _p: ("/api/v1/runs/heartbeat", {"usage": {k.run(): {}}, "writer": WRITER}),
        unseen="2xx",
    ),
    ("POST", "/api/v1/runs/delete"): Case(
        PROJECT_MAINTAINERS,  # the runs are someone else's: deleting them needs a maintainer
        lambda k, _p: ("/api/v1/runs/delete", {"ids": [k.run()]}),
        unseen="404",
    ),
    ("GET", "/api/v1/runs"): Case(
        PROJECT_VIEWERS, lambda k, _p: (f"/api/v1/runs?id={k.run()}", None), unseen="404"
    ),
    ("GET", "/api/v1/runs/{run_id}"): Case(
        PROJECT_VIEWERS, lambda k, _p: (f"/api/v1/runs/{k.run()}", None), unseen="404"
    ),
    ("POST", "/api/v1/runs/{run_id}/resume"): Case(
        PROJECT_CONTRIBUTORS,
        lambda k, _p: (f"/api/v1/runs/{k.run()}/resume", {"writer": WRITER}),
        unseen="404",
    ),
    ("POST", "/api/v1/runs/{run_id}/end"): Case(
        PROJECT_CONTRIBUTORS,
        lambda k, _p: (f"/api/v1/runs/{k.run()}/end", {"status": "finished"}),
        unseen="404",
    ),
    ("POST", "/api/v1/runs/{run_id}/inputs"): Case(
        PROJECT_CONTRIBUTORS,
        lambda k, _p: (
            f"/api/v1/runs/{k.run()}/inputs",
            {"path": "data/train.csv", "size": 3, "digest": "a" * 64},
        ),
        unseen="404",
    ),
    ("POST", "/api/v1/runs/{run_id}/artifacts"): Case(
        PROJECT_CONTRIBUTORS,
        lambda k, _p: (
            f"/api/v1/runs/{k.run()}/artifacts",
            {"artifacts": [{"path": "model.skops", "digest": k.stored().digest.hex, "size": 64}]},
        ),
        unseen="404",
    ),
    ("GET", "/api/v1/runs/{run_id}/metric-history"): Case(
        PROJECT_VIEWERS,
        lambda k, _p: (f"/api/v1/runs/{k.run()}/metric-history?key=loss", None),
        unseen="404",
    ),
    ("GET", "/api/v1/runs/{run_id}/metric-history/page"): Case(
        PROJECT_VIEWERS,
        lambda k, _p: (f"/api/v1/runs/{k.run()}/metric-history/page?key=loss&limit=10", None),
        unseen="404",
    ),
    ("GET", "/api/v1/runs/{run_id}/metric-history/summary"): Case(
        PROJECT_VIEWERS,
        lambda k, _p: (f"/api/v1/runs/{k.run()}/metric-history/summary?key=loss&buckets=5", None),
        unseen="404",
    ),
    # -- objects -------------------------------------------------------------------------
    ("POST", "/api/v1/projects/{project}/objects/missing"): Case(
        PROJECT_VIEWERS, _fixed(f"{OBJECTS}/missing", {"digests": ["b" * 64]})
    ),
    ("POST", "/api/v1/projects/{project}/objects/stat"): Case(
        PROJECT_VIEWERS,
        lambda k, _p: (f"{OBJECTS}/stat", {"digests": [k.stored().digest.hex]}),
    ),
    ("PUT", "/api/v1/projects/{project}/objects/{digest}"): Case(
        PROJECT_CONTRIBUTORS,
        lambda _k, _p: (f"{OBJECTS}/{digest_of(b'matrix').hex}", b"matrix"),
    ),
    ("POST", "/api/v1/projects/{project}/objects/upload"): Case(
        PROJECT_CONTRIBUTORS,
        lambda _k, _p: (f"{OBJECTS}/upload", encode_frames([(digest_of(b"m"), b"m")])),
    ),
    ("PUT", "/api/v1/projects/{project}/objects/{digest}/manifest"): Case(
        PROJECT_CONTRIBUTORS, _manifest
    ),
    ("GET", "/api/v1/projects/{project}/objects/{digest}"): Case(
        PROJECT_VIEWERS, lambda k, _p: (f"{OBJECTS}/{k.stored().digest.hex}", None)
    ),
    ("POST", "/api/v1/projects/{project}/objects/download"): Case(
        PROJECT_VIEWERS,
        lambda k, _p: (f"{OBJECTS}/download", {"digests": [k.stored().digest.hex]}),
    ),
    # -- registry ------------------------------------------------------------------------
    ("GET", P): Case(PROJECT_VIEWERS, _fixed(MODELS)),
    ("GET", P + "/{name}"): Case(PROJECT_VIEWERS, _on_model("")),
    ("POST", P + "/{name}/versions"): Case(PROJECT_CONTRIBUTORS, _new_version),
    ("POST", P + "/{name}/versions/stored"): Case(PROJECT_CONTRIBUTORS, _stored_version),
    ("GET", P + "/{name}/versions/{version}"): Case(PROJECT_VIEWERS, _on_model("/versions/2")),
    ("GET", P + "/{name}/versions/{version}/card"): Case(
        PROJECT_VIEWERS, _on_model("/versions/latest/card")
    ),
    ("PUT", P + "/{name}/card"): Case(
        PROJECT_CONTRIBUTORS, _on_model("/card", {"fields": {"overview": "Predicts churn."}})
    ),
    ("POST", P + "/{name}/versions/{version}/evaluations"): Case(
        PROJECT_CONTRIBUTORS, _on_model("/versions/2/evaluations", EVALUATION)
    ),
    ("GET", P + "/{name}/aliases/{alias}"): Case(
        PROJECT_VIEWERS, _on_model("/aliases/production", aliases=(1,))
    ),
    ("PUT", P + "/{name}/aliases/{alias}"): Case(
        PROJECT_MAINTAINERS, _on_model("/aliases/production", {"version": 2, "reason": "go"})
    ),
    ("DELETE", P + "/{name}/aliases/{alias}"): Case(
        PROJECT_MAINTAINERS, _on_model("/aliases/production?reason=retired", aliases=(1,))
    ),
    ("POST", P + "/{name}/aliases/{alias}/rollback"): Case(
        PROJECT_MAINTAINERS, _on_model("/aliases/production/rollback", {}, aliases=(1, 2))
    ),
    ("GET", P + "/{name}/history"): Case(PROJECT_VIEWERS, _on_model("/history", aliases=(1,))),
    ("POST", P + "/{name}/versions/{version}/approvals"): Case(
        PROJECT_MAINTAINERS, _on_model("/versions/2/approvals", {"alias": "production"})
    ),
    ("GET", P + "/{name}/versions/{version}/verification"): Case(
        PROJECT_VIEWERS, _on_model("/versions/2/verification")
    ),
    ("GET", "/api/v1/projects/{project}/model-versions"): Case(
        PROJECT_VIEWERS, _fixed(f"/api/v1/projects/{PROJECT}/model-versions?run_id={'0' * 26}")
    ),
    ("GET", P + "/{name}/versions/{version}/approvals"): Case(
        PROJECT_VIEWERS, _on_model("/versions/2/approvals?alias=production")
    ),
    ("POST", P + "/{name}/versions/{version}/promote"): Case(
        PROJECT_MAINTAINERS, _on_model("/versions/2/promote", {"alias": "production"})
    ),
    # -- datasets ------------------------------------------------------------------------
    ("GET", "/api/v1/projects/{project}/datasets"): Case(
        PROJECT_VIEWERS, _fixed(f"/api/v1/projects/{PROJECT}/datasets")
    ),
    ("GET", "/api/v1/projects/{project}/datasets/versions"): Case(
        PROJECT_VIEWERS, lambda a, _p: (f"{_DATASETS}/versions?name={_dataset(a)}", None)
    ),
    ("GET", "/api/v1/projects/{project}/datasets/version"): Case(
        PROJECT_VIEWERS, lambda a, _p: (f"{_DATASETS}/version?name={_dataset(a)}", None)
    ),
    ("GET", "/api/v1/projects/{project}/datasets/profile"): Case(
        PROJECT_VIEWERS, lambda a, _p: (f"{_DATASETS}/profile?name={_dataset(a)}&version=1", None)
    ),
    ("GET", "/api/v1/projects/{project}/datasets/diff"): Case(
        PROJECT_VIEWERS, lambda a, _p: (f"{_DATASETS}/diff?name={_dataset(a)}&from=1&to=1", None)
    ),
    ("POST", "/api/v1/projects/{project}/datasets/versions"): Case(
        PROJECT_CONTRIBUTORS,
        _fixed(
            f"/api/v1/projects/{PROJECT}/datasets/versions",
            {
                "versions": [
                    {
                        "name": "data/x.csv",
                        "kind": "file",
                        "digest": "ab" * 32,
                        "size": 3,
                        "files": 1,
                    }
                ]
            },
        ),
    ),
    # -- moving projects -----------------------------------------------------------------
    ("POST", "/api/v1/project-imports"): Case(
        ADMINS,
        lambda _k, _p: ("/api/v1/project-imports", _project_archive()),
    ),
}

PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {("GET", "/health"), ("GET", "/health/live"), ("POST", "/api/v1/auth/login"),
     ("POST", "/api/v1/auth/sso/device"), ("POST", "/api/v1/auth/sso/device/token")}
)  # fmt: skip

_SAMPLES = {"{digest}": "a" * 64, "{project}": PROJECT, "{version}": "1",
            "{run_id}": "01" + "a" * 24, "{alias}": "staging"}  # fmt: skip


def concrete(template: str) -> str:
    """A path the template matches (parameters whose form the route checks filled in)."""
    for name, value in _SAMPLES.items():
        template = template.replace(name, value)
    return template.replace("{", "").replace("}", "")


"""Routes reachable without a token (``/metrics`` joins them only when configured)."""


# -- MLflow's REST API (outside /api/v1 and the published schema; tests/mlflow_api) ---------
# Each persona works in its own project (shipyard.mlflow_api.routing.project_of): the
# project's members and the server's project.name (PROJECT) for admins and capped tokens;
# outsiders in theirs, where what PROJECT holds is not found (404), as an unknown id.
ML = "/api/2.0/mlflow"
MLA = "/api/2.0/mlflow-artifacts/artifacts"
POWERLESS = "other-project-token"
"""Its user (a maintainer of PROJECT) has no role in the project it is scoped to: every
MLflow call, which works in that project, is refused (403)."""
OWN_PROJECT = AUTHENTICATED - {POWERLESS}
"""Calls on the caller's own project: allowed to anyone with a role in one."""


def _ml_experiment(kit: Kit) -> str:
    return kit.tracking.create_experiment(LOCAL_OWNER, PROJECT, "mlflow-matrix")


def _ml_run(kit: Kit) -> tuple[str, str]:
    """A running run of the MLflow experiment with a metric and a model folder."""
    from shipyard.mlflow_api.common import WRITER

    spec = RunSpec("mlflow-matrix", "r", host=WRITER.host, pid=WRITER.pid)
    run_id = kit.tracking.create_run(LOCAL_OWNER, PROJECT, spec).id
    kit.tracking.log(LOCAL_OWNER, LogBatch(metrics=[(run_id, "loss", 0.5, 0, 1)]))
    mlmodel = kit.stored(b"flavors: {}\n")
    kit.tracking.record_artifacts(LOCAL_OWNER, run_id, [("model/MLmodel", mlmodel.digest.hex,
                                                         mlmodel.size)])  # fmt: skip
    return _ml_experiment(kit), run_id


def _ml_logged_model(kit: Kit) -> str:
    import json

    from shipyard.mlflow_api.logged_models import TAG_PREFIX

    _experiment, run_id = _ml_run(kit)
    model_id = f"m-{run_id}{uuid.uuid4().hex[:8]}"
    described = {"experiment_id": _experiment, "name": "model", "created": 1, "updated": 1,
                 "status": "LOGGED_MODEL_PENDING", "model_type": "", "tags": {}}  # fmt: skip
    tag = (run_id, TAG_PREFIX + model_id, json.dumps(described))
    kit.tracking.log(LOCAL_OWNER, LogBatch(tags=[tag]))
    return model_id


def _ml_model(kit: Kit, alias: bool = False) -> str:
    """A registered model with one version registered from an MLflow model folder."""
    from shipyard.mlflow_api.model_files import register_source, resolve_source
    from shipyard.registry.aliases import AliasService

    _experiment, run_id = _ml_run(kit)
    name = f"ml-{uuid.uuid4().hex[:8]}"
    register_source(kit.ctx, PROJECT, name, resolve_source(f"runs:/{run_id}/model", None), "")
    if alias:
        AliasService(kit.ctx.db).set_alias(LOCAL_OWNER, PROJECT, name, "champion", 1)
    return name


def _ml_on_run(path: str, body: dict[str, Any] | None = None) -> Callable[[Kit, str], Request]:
    def prepare(kit: Kit, _persona: str) -> Request:
        experiment, run_id = _ml_run(kit)
        names = {"e": experiment, "r": run_id, "m": f"m-{run_id}"}
        filled = None if body is None else {k: v.format(**names) if isinstance(v, str) else v
                                            for k, v in body.items()}  # fmt: skip
        return path.format(**names), filled

    return prepare


def _ml_on_model(path: str, body: dict[str, Any] | None = None,
                 alias: bool = False) -> Callable[[Kit, str], Request]:  # fmt: skip
    def prepare(kit: Kit, _persona: str) -> Request:
        name = _ml_model(kit, alias)
        filled = None if body is None else {k: v.format(n=name) for k, v in body.items()}
        return path.format(n=name), filled

    return prepare


def _ml_on_logged(path: str, body: dict[str, Any] | None = None) -> Callable[[Kit, str], Request]:
    return lambda kit, _p: (path.format(i=_ml_logged_model(kit)), body)


def _ml_unique(path: str, key: str) -> Callable[[Kit, str], Request]:
    return lambda _kit, _p: (path, {key: f"n-{uuid.uuid4().hex[:8]}"})


_ML_UNSEEN = "404"
MLFLOW_ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/3.0/mlflow/server-info"): Case(AUTHENTICATED,
                                                 _fixed("/api/3.0/mlflow/server-info")),
    ("POST", f"{ML}/experiments/create"): Case(
        PROJECT_CONTRIBUTORS | {"outsider"},
        _ml_unique(f"{ML}/experiments/create", "name")),
    ("GET", f"{ML}/experiments/get"): Case(
        PROJECT_VIEWERS, lambda k, _p: (f"{ML}/experiments/get?experiment_id="
                                        f"{_ml_experiment(k)}", None), _ML_UNSEEN),
    ("GET", f"{ML}/experiments/get-by-name"): Case(
        PROJECT_VIEWERS, lambda k, _p: (f"{ML}/experiments/get-by-name?experiment_name="
                                        f"mlflow-matrix{_ml_experiment(k)[:0]}", None),
        _ML_UNSEEN),
    ("POST", f"{ML}/experiments/search"): Case(OWN_PROJECT, _fixed(f"{ML}/experiments/search",
                                                                  {})),
    ("GET", f"{ML}/experiments/search"): Case(OWN_PROJECT, _fixed(f"{ML}/experiments/search")),
    ("POST", f"{ML}/runs/create"): Case(
        PROJECT_CONTRIBUTORS, lambda k, _p: (f"{ML}/runs/create",
                                             {"experiment_id": _ml_experiment(k)}), _ML_UNSEEN),
    ("GET", f"{ML}/runs/get"): Case(PROJECT_VIEWERS, _ml_on_run(f"{ML}/runs/get?run_id={{r}}"),
                                    _ML_UNSEEN),
    ("POST", f"{ML}/runs/update"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_run(f"{ML}/runs/update", {"run_id": "{r}",
                                                               "status": "FINISHED"}),
        _ML_UNSEEN),
    ("POST", f"{ML}/runs/delete"): Case(
        PROJECT_MAINTAINERS, _ml_on_run(f"{ML}/runs/delete", {"run_id": "{r}"}), _ML_UNSEEN),
    ("POST", f"{ML}/runs/search"): Case(
        OWN_PROJECT, _ml_on_run(f"{ML}/runs/search", {"experiment_ids": ["{e}"]})),
    ("GET", f"{ML}/metrics/get-history"): Case(
        PROJECT_VIEWERS, _ml_on_run(f"{ML}/metrics/get-history?run_id={{r}}&metric_key=loss"),
        _ML_UNSEEN),
    ("POST", f"{ML}/runs/log-metric"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_run(f"{ML}/runs/log-metric", {
            "run_id": "{r}", "key": "m", "value": 1.0, "timestamp": 1, "step": 0}),
        _ML_UNSEEN),
    ("POST", f"{ML}/runs/log-parameter"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_run(f"{ML}/runs/log-parameter", {
            "run_id": "{r}", "key": "p", "value": "1"}), _ML_UNSEEN),
    ("POST", f"{ML}/runs/set-tag"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_run(f"{ML}/runs/set-tag", {
            "run_id": "{r}", "key": "t", "value": "1"}), _ML_UNSEEN),
    ("POST", f"{ML}/runs/log-batch"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_run(f"{ML}/runs/log-batch", {
            "run_id": "{r}", "params": [{"key": "p", "value": "1"}]}), _ML_UNSEEN),
    ("POST", f"{ML}/runs/log-inputs"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_run(f"{ML}/runs/log-inputs", {
            "run_id": "{r}", "datasets": [{"dataset": {"name": "d", "digest": "1"}}]}),
        _ML_UNSEEN),
    ("POST", f"{ML}/runs/outputs"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_run(f"{ML}/runs/outputs", {"run_id": "{r}"}), _ML_UNSEEN),
    ("POST", f"{ML}/logged-models"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_run(f"{ML}/logged-models", {
            "experiment_id": "{e}", "source_run_id": "{r}"}), _ML_UNSEEN),
    ("GET", f"{ML}/logged-models/{{model_id}}"): Case(
        PROJECT_VIEWERS, _ml_on_logged(f"{ML}/logged-models/{{i}}"), _ML_UNSEEN),
    ("PATCH", f"{ML}/logged-models/{{model_id}}"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_logged(f"{ML}/logged-models/{{i}}",
                                            {"status": "LOGGED_MODEL_READY"}), _ML_UNSEEN),
    ("PATCH", f"{ML}/logged-models/{{model_id}}/tags"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_logged(f"{ML}/logged-models/{{i}}/tags", {
            "tags": [{"key": "k", "value": "v"}]}), _ML_UNSEEN),
    ("POST", f"{ML}/logged-models/search"): Case(OWN_PROJECT,
                                                 _fixed(f"{ML}/logged-models/search", {})),
    ("POST", f"{ML}/registered-models/create"): Case(
        PROJECT_CONTRIBUTORS | {"outsider"},
        _ml_unique(f"{ML}/registered-models/create", "name")),
    ("GET", f"{ML}/registered-models/get"): Case(
        PROJECT_VIEWERS, _ml_on_model(f"{ML}/registered-models/get?name={{n}}"), _ML_UNSEEN),
    ("GET", f"{ML}/registered-models/search"): Case(
        OWN_PROJECT, _fixed(f"{ML}/registered-models/search")),
    ("POST", f"{ML}/registered-models/get-latest-versions"): Case(
        PROJECT_VIEWERS, _ml_on_model(f"{ML}/registered-models/get-latest-versions",
                                      {"name": "{n}"}), _ML_UNSEEN),
    ("POST", f"{ML}/model-versions/create"): Case(
        PROJECT_CONTRIBUTORS, _ml_on_run(f"{ML}/model-versions/create", {
            "name": "ml-new", "source": "runs:/{r}/model"}), _ML_UNSEEN),
    ("GET", f"{ML}/model-versions/get"): Case(
        PROJECT_VIEWERS, _ml_on_model(f"{ML}/model-versions/get?name={{n}}&version=1"),
        _ML_UNSEEN),
    ("GET", f"{ML}/model-versions/get-download-uri"): Case(
        PROJECT_VIEWERS,
        _ml_on_model(f"{ML}/model-versions/get-download-uri?name={{n}}&version=1"), _ML_UNSEEN),
    ("GET", f"{ML}/model-versions/search"): Case(
        PROJECT_VIEWERS, _ml_on_model(f"{ML}/model-versions/search?filter=name%3D%27{{n}}%27"),
        _ML_UNSEEN),
    ("POST", f"{ML}/registered-models/alias"): Case(
        PROJECT_MAINTAINERS, _ml_on_model(f"{ML}/registered-models/alias", {
            "name": "{n}", "alias": "champion", "version": "1"}), _ML_UNSEEN),
    ("GET", f"{ML}/registered-models/alias"): Case(
        PROJECT_VIEWERS, _ml_on_model(f"{ML}/registered-models/alias?name={{n}}&alias=champion",
                                      alias=True), _ML_UNSEEN),
    ("DELETE", f"{ML}/registered-models/alias"): Case(
        PROJECT_MAINTAINERS,
        _ml_on_model(f"{ML}/registered-models/alias?name={{n}}&alias=champion", alias=True),
        _ML_UNSEEN),
    ("GET", MLA): Case(PROJECT_VIEWERS, _ml_on_run(f"{MLA}?path={{e}}/{{r}}/artifacts"),
                       _ML_UNSEEN),
    ("PUT", f"{MLA}/{{path:path}}"): Case(
        PROJECT_CONTRIBUTORS, lambda k, _p: (_ml_on_run(f"{MLA}/{{e}}/{{r}}/artifacts/x.bin")(
            k, _p)[0], b"bytes"), _ML_UNSEEN),
    ("GET", f"{MLA}/{{path:path}}"): Case(
        PROJECT_VIEWERS, _ml_on_run(f"{MLA}/{{e}}/{{r}}/artifacts/model/MLmodel"), _ML_UNSEEN),
}  # fmt: skip
"""MLflow's routes, checked by tests/mlflow_api/test_route_matrix.py."""
MLFLOW_BY_RUN = frozenset(
    key for key in MLFLOW_ROUTES
    if key[1].startswith((f"{ML}/runs/", f"{ML}/metrics/", f"{ML}/logged-models", MLA,
                          f"{ML}/model-versions/create"))
    and key[1] not in (f"{ML}/runs/create", f"{ML}/runs/search", f"{ML}/logged-models/search")
)  # fmt: skip
"""Routes that name a run (or a logged model, kept on its run): a run the caller may not
read is not found (404), as an unknown id, before any project is asked for."""
