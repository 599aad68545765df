"""The document ``/openapi.json`` serves: FastAPI's, with who may call what made explicit.

Every operation that depends on
:func:`~shipyard.server.security.request_context` declares the bearer scheme
(FastAPI adds it from the dependency). The document also requires it
globally and marks every other operation ``security: []``, so a generated
client, or a checker, knows exactly which calls are public without relying on
a default.

It also links each operation that creates something to the operations that
take what it created (OpenAPI links: a new run's id to ``GET /runs/{run_id}``),
so generated clients and stateful checkers can follow them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shipyard.server.security import BEARER_SCHEME

__all__ = ["install_openapi"]

_RUN = {"run_id": "$response.body#/id"}
_RUNS = "/api/v1/projects/{project}/runs"
_ALIAS = "/api/v1/projects/{project}/models/{name}/aliases/{alias}"
_DATASETS = "/api/v1/projects/{project}/datasets"
_SAME_ALIAS = {k: f"$request.path.{k}" for k in ("project", "name", "alias")}
_NEW_USER = {"name": "$response.body#/name"}

LINKS: tuple[tuple[str, str, str, str, dict[str, str]], ...] = (
    # answer of (method path, status) → link name → target "method path", its parameters
    ("post " + _RUNS, "201", "GetRun", "get /api/v1/runs/{run_id}", _RUN),
    ("post " + _RUNS, "201", "EndRun", "post /api/v1/runs/{run_id}/end", _RUN),
    ("post " + _RUNS, "201", "LogInput", "post /api/v1/runs/{run_id}/inputs", _RUN),
    ("post /api/v1/tokens", "201", "RevokeToken", "delete /api/v1/tokens/{token_id}",
     {"token_id": "$response.body#/info/id"}),
    ("post /api/v1/users", "201", "DisableUser", "post /api/v1/users/{name}/disable", _NEW_USER),
    ("post /api/v1/users", "201", "EnableUser", "post /api/v1/users/{name}/enable", _NEW_USER),
    ("put " + _ALIAS, "200", "GetAlias", "get " + _ALIAS, _SAME_ALIAS),
    ("post " + _DATASETS + "/versions", "200", "GetVersion", "get " + _DATASETS + "/version",
     {"project": "$request.path.project", "name": "$response.body#/versions/0/name"}),
)  # fmt: skip

_METHODS = frozenset({"get", "put", "post", "delete", "patch", "options", "head", "trace"})


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`document` (built once, on first use) as the app's OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
    )
    schema["security"] = [{BEARER_SCHEME: []}]
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method in _METHODS:
                operation.setdefault("security", [])  # no token scheme declared: public
    _add_links(schema["paths"])
    return schema


def _add_links(paths: dict[str, Any]) -> None:
    for source, status, name, target, parameters in LINKS:
        method, _, path = source.partition(" ")
        target_method, _, target_path = target.partition(" ")
        answer = paths[path][method]["responses"][status]
        pointer = target_path.replace("~", "~0").replace("/", "~1")
        answer.setdefault("links", {})[name] = {
            "operationRef": f"#/paths/{pointer}/{target_method}",
            "parameters": parameters,
        }
