"""``[server.oidc]``: single sign-on through an OpenID provider, as typed settings.

Pure: the table comes parsed from ``config.toml`` and the scalar keys may be
overridden by ``SHIPYARD_SERVER_OIDC_<KEY>`` variables. The client secret is
never in the file, only the name of the variable that holds it.

    [server.oidc]
    issuer = "https://login.example.com/realms/ml"
    client_id = "shipyard"
    client_secret_env = "SHIPYARD_OIDC_SECRET"
    groups_claim = "groups"

    [server.oidc.roles]
    "ml-team" = {project = "churn", role = "contributor"}
    "ml-leads" = [{project = "churn", role = "maintainer"}, {project = "fraud", role = "viewer"}]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.core.errors import ConfigError
from shipyard.core.project_names import PROJECT_NAME

__all__ = ["ALGORITHMS", "OidcConfig", "RoleGrant", "parse_oidc"]

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
"""The asymmetric algorithms an ID token may be signed with (never ``none`` nor HMAC)."""
PROJECT_ROLES = ("viewer", "contributor", "maintainer")
_TEXT_KEYS = ("issuer", "client_id", "client_secret_env", "groups_claim", "username_claim",
              "scopes")  # fmt: skip
_LIST_KEYS = ("algorithms",)


@dataclass(frozen=True)
class RoleGrant:
    project: str
    role: str


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret_env: str = ""
    """The environment variable holding the client secret (empty: a public client)."""
    groups_claim: str = "groups"
    username_claim: str = "preferred_username"
    scopes: str = "openid profile email groups"
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    roles: Mapping[str, tuple[RoleGrant, ...]] = field(default_factory=dict)
    """Group name → the project roles its members get at each sign-in."""

    def grants(self, groups: list[str]) -> dict[str, str]:
        """Project → role for a user in ``groups``; the highest role wins per project."""
        result: dict[str, str] = {}
        for group in groups:
            for grant in self.roles.get(group, ()):
                held = result.get(grant.project)
                if held is None or PROJECT_ROLES.index(grant.role) > PROJECT_ROLES.index(held):
                    result[grant.project] = grant.role
        return result


def parse_oidc(
    table: Any, env: Mapping[str, str] | None = None, label: str = "config file"
) -> OidcConfig | None:
    """The ``[server.oidc]`` table (None when absent) with its environment overrides."""
    values: dict[str, Any] = {}
    if table is not None:
        if not isinstance(table, Mapping):
            raise ConfigError(f"[server.oidc] in {label} must be a table")
        known = (*_TEXT_KEYS, *_LIST_KEYS, "roles")
        if "client_secret" in table:
            raise ConfigError(
                f"{label} must not hold the OpenID client secret (the file is meant to be"
                " committed)",
                hint="set client_secret_env to the name of a variable that holds it",
            )
        for key in table:
            if key not in known:
                raise ConfigError(f"unknown setting 'server.oidc.{key}' in {label}",
                                  hint=f"[server.oidc] has {', '.join(known)}")  # fmt: skip
        values = dict(table)
    for key in (*_TEXT_KEYS, *_LIST_KEYS):
        var = f"SHIPYARD_SERVER_OIDC_{key.upper()}"
        if env is not None and var in env:
            raw = env[var]
            values[key] = raw.split(",") if key in _LIST_KEYS else raw
    if not values.get("issuer"):
        if values:
            raise ConfigError(f"[server.oidc] in {label} needs an issuer URL")
        return None
    for key in _TEXT_KEYS:
        if key in values and not isinstance(values[key], str):
            raise ConfigError(f"setting server.oidc.{key} in {label} must be text")
    if not values.get("client_id"):
        raise ConfigError(f"[server.oidc] in {label} needs a client_id")
    issuer = str(values["issuer"]).rstrip("/")
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ConfigError(
            f"setting server.oidc.issuer must be an https URL, not {issuer!r}",
            hint="plain http is accepted only for a provider on this machine (tests)",
        )
    algorithms = _algorithms(values.get("algorithms"), label)
    roles = _roles(values.get("roles", {}), label)
    text = {k: str(values[k]) for k in _TEXT_KEYS if k in values and k != "issuer"}
    return OidcConfig(issuer=issuer, algorithms=algorithms, roles=roles, **text)


def _algorithms(raw: Any, label: str) -> tuple[str, ...]:
    if raw is None:
        return OidcConfig.algorithms
    if not isinstance(raw, list) or not raw or not all(isinstance(a, str) for a in raw):
        raise ConfigError(f"setting server.oidc.algorithms in {label} must be a list of names")
    for name in raw:
        if name.strip() not in ALGORITHMS:
            raise ConfigError(
                f"signature algorithm {name!r} is not allowed for ID tokens",
                hint=f"choose among {', '.join(ALGORITHMS)}",
            )
    return tuple(a.strip() for a in raw)


def _roles(raw: Any, label: str) -> dict[str, tuple[RoleGrant, ...]]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"[server.oidc.roles] in {label} must map group names to roles")
    roles: dict[str, tuple[RoleGrant, ...]] = {}
    for group, entry in raw.items():
        entries = entry if isinstance(entry, list) else [entry]
        grants = []
        for item in entries:
            if not isinstance(item, Mapping) or set(item) != {"project", "role"}:
                raise ConfigError(
                    f"group {group!r} in [server.oidc.roles] of {label} needs a project and a role",
                    hint='write "GROUP" = {project = "churn", role = "contributor"}',
                )
            project, role = item["project"], item["role"]
            if not isinstance(project, str) or not PROJECT_NAME.match(project):
                raise ConfigError(f"group {group!r} names a bad project {project!r} in {label}")
            if role not in PROJECT_ROLES:
                raise ConfigError(
                    f"group {group!r} has a bad role {role!r} in {label}",
                    hint=f"a project role is one of {', '.join(PROJECT_ROLES)}; admins are made"
                    " with `shipyard users add --admin`",
                )
            grants.append(RoleGrant(project, role))
        roles[str(group)] = tuple(grants)
    return roles
