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
