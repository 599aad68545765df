"""What every API route allows, persona by persona: the table the matrix test checks.

A new route must be added here (the matrix test fails until it is): say who may
call it and how to build a valid request for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shipyard.auth.service import AuthService
from shipyard.core.principal import LOCAL_OWNER
from tests.serverkit import PROJECT

PROJECT_VIEWERS = frozenset({"root", "maintainer", "contributor", "viewer"})
PROJECT_CONTRIBUTORS = frozenset({"root", "maintainer", "contributor"})

AUTHENTICATED = frozenset(
    {"root", "maintainer", "contributor", "viewer", "outsider", "other-project-token"}
)
UNAUTHENTICATED = ("anonymous", "revoked", "expired")
ADMINS = frozenset({"root"})
PROJECT_MAINTAINERS = frozenset({"root", "maintainer"})
MODELS = f"/api/v1/projects/{PROJECT}/models"

# persona → the user it acts as (for routes that act on the caller's own things)
USER_OF = {p: p for p in AUTHENTICATED} | {"other-project-token": "maintainer"}

Request = tuple[str, dict[str, Any] | None]


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    prepare: Callable[[AuthService, str], Request]
    """Given the auth service and the persona, return (path, JSON body)."""


def _fixed(path: str, body: dict[str, Any] | None = None) -> Callable[[AuthService, str], Request]:
    return lambda _auth, _persona: (path, body)


def _throwaway_user(auth: AuthService) -> str:
    name = f"u{uuid.uuid4().hex[:10]}"
    auth.add_user(LOCAL_OWNER, name)
    return name


def _own_token(auth: AuthService, persona: str) -> Request:
    created = auth.create_token(LOCAL_OWNER, name="doomed", user=USER_OF.get(persona, "root"))
    return f"/api/v1/tokens/{created.info.id}", None


def _model(auth: AuthService, *, aliases: tuple[int, ...] = ()) -> str:
    """A new model with two versions (metadata only) and ``aliases`` moves of @production."""
    from tests.server.registry_seed import seed_model

    return seed_model(auth.db, PROJECT, aliases)


def _on_model(
    suffix: str, body: dict[str, Any] | None = None, **seed: Any
) -> Callable[[AuthService, str], Request]:
    return lambda auth, _p: (f"{MODELS}/{_model(auth, **seed)}{suffix}", body)


def _new_version(_auth: AuthService, _persona: str) -> Request:
    from tests.server.registry_seed import model_files

    return f"{MODELS}/m{uuid.uuid4().hex[:8]}/versions", {"files": model_files()}


P = "/api/v1/projects/{project}/models"

_DATASETS = f"/api/v1/projects/{PROJECT}/datasets"


def _dataset(auth: AuthService) -> str:
    """A dataset with one version in PROJECT (made directly in the database)."""
    from shipyard.core.digest import Digest
    from shipyard.data.records import NewVersion
    from shipyard.data.records_sql import SqlRecords

    name = f"data/{uuid.uuid4().hex[:8]}.csv"
    SqlRecords(auth.db).register(
        LOCAL_OWNER, PROJECT, [NewVersion(name, "file", Digest("cd" * 32), 10, 1)]
    )
    return name


ROUTES: dict[tuple[str, str], Case] = {
    ("GET", P): Case(PROJECT_VIEWERS, _fixed(MODELS)),
    ("GET", P + "/{name}"): Case(PROJECT_VIEWERS, _on_model("")),
    ("POST", P + "/{name}/versions"): Case(PROJECT_CONTRIBUTORS, _new_version),
    ("GET", P + "/{name}/versions/{version}"): Case(PROJECT_VIEWERS, _on_model("/versions/2")),
    ("GET", P + "/{name}/versions/{version}/card"): Case(
        PROJECT_VIEWERS, _on_model("/versions/latest/card")
    ),
    ("PUT", P + "/{name}/card"): Case(
        PROJECT_CONTRIBUTORS, _on_model("/card", {"fields": {"overview": "Predicts churn."}})
    ),
    ("GET", P + "/{name}/aliases/{alias}"): Case(
        PROJECT_VIEWERS, _on_model("/aliases/production", aliases=(1,))
    ),
    ("PUT", P + "/{name}/aliases/{alias}"): Case(
        PROJECT_MAINTAINERS, _on_model("/aliases/production", {"version": 2, "reason": "go"})
    ),
    ("DELETE", P + "/{name}/aliases/{alias}"): Case(
        PROJECT_MAINTAINERS, _on_model("/aliases/production", aliases=(1,))
    ),
    ("POST", P + "/{name}/aliases/{alias}/rollback"): Case(
        PROJECT_MAINTAINERS, _on_model("/aliases/production/rollback", {}, aliases=(1, 2))
    ),
    ("GET", P + "/{name}/history"): Case(PROJECT_VIEWERS, _on_model("/history", aliases=(1,))),
    ("POST", P + "/{name}/versions/{version}/approvals"): Case(
        PROJECT_MAINTAINERS, _on_model("/versions/2/approvals", {"alias": "production"})
    ),
    ("POST", P + "/{name}/versions/{version}/promote"): Case(
        PROJECT_MAINTAINERS, _on_model("/versions/2/promote", {"alias": "production"})
    ),
    ("GET", "/api/v1/me"): Case(AUTHENTICATED, _fixed("/api/v1/me")),
    ("GET", "/api/v1/users"): Case(ADMINS, _fixed("/api/v1/users")),
    ("POST", "/api/v1/users"): Case(
        ADMINS, lambda _a, _p: ("/api/v1/users", {"name": f"n{uuid.uuid4().hex[:8]}"})
    ),
    ("POST", "/api/v1/users/{name}/disable"): Case(
        ADMINS, lambda a, _p: (f"/api/v1/users/{_throwaway_user(a)}/disable", None)
    ),
    ("POST", "/api/v1/users/{name}/enable"): Case(
        ADMINS, lambda a, _p: (f"/api/v1/users/{_throwaway_user(a)}/enable", None)
    ),
    ("PUT", "/api/v1/projects/{project}/members/{name}"): Case(
        PROJECT_MAINTAINERS,
        lambda a, _p: (
            f"/api/v1/projects/{PROJECT}/members/{_throwaway_user(a)}",
            {"role": "viewer"},
        ),
    ),
    ("GET", "/api/v1/tokens"): Case(AUTHENTICATED, _fixed("/api/v1/tokens")),
    ("POST", "/api/v1/tokens"): Case(AUTHENTICATED, _fixed("/api/v1/tokens", {"name": "x"})),
    ("DELETE", "/api/v1/tokens/{token_id}"): Case(AUTHENTICATED, _own_token),
    ("GET", "/api/v1/audit"): Case(ADMINS, _fixed("/api/v1/audit")),
    ("GET", "/api/v1/audit/verify"): Case(ADMINS, _fixed("/api/v1/audit/verify")),
    ("GET", "/metrics"): Case(AUTHENTICATED, _fixed("/metrics")),
    ("GET", "/api/v1/projects/{project}/datasets"): Case(
        PROJECT_VIEWERS, _fixed(f"/api/v1/projects/{PROJECT}/datasets")
    ),
    ("GET", "/api/v1/projects/{project}/datasets/versions"): Case(
        PROJECT_VIEWERS, lambda a, _p: (f"{_DATASETS}/versions?name={_dataset(a)}", None)
    ),
    ("GET", "/api/v1/projects/{project}/datasets/version"): Case(
        PROJECT_VIEWERS, lambda a, _p: (f"{_DATASETS}/version?name={_dataset(a)}", None)
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
}

PUBLIC: frozenset[tuple[str, str]] = frozenset({("GET", "/health"), ("POST", "/api/v1/auth/login")})
"""Routes reachable without a token (``/metrics`` joins them only when configured)."""
