"""Typed settings, resolved from layers: defaults < config file < environment < flags.

This module is pure: callers read the config file and the environment and pass
them in, so the rules are tested without touching disk. Each setting has one
dotted key (``store.uri``) used in ``config.toml`` sections and in flags, and
one environment variable (``SHIPYARD_STORE_URI``, with short aliases such as
``SHIPYARD_URI``).
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from shipyard.core.durations import parse_duration
from shipyard.core.errors import ConfigError, InvalidInput
from shipyard.core.monitors import MonitorConfig, parse_monitors
from shipyard.core.oidc_config import OidcConfig, parse_oidc
from shipyard.core.pipeline_config import PipelineConfig, parse_pipelines

__all__ = [
    "ENV_ALIASES",
    "LINK_MODES",
    "AuditSettings",
    "ClientSettings",
    "CostSettings",
    "DataSettings",
    "ModelSettings",
    "ObjectSettings",
    "ProjectSettings",
    "RemoteSettings",
    "ServerSettings",
    "Settings",
    "StoreSettings",
    "build_settings",
    "env_var_for",
    "setting_keys",
]


@dataclass(frozen=True)
class ProjectSettings:
    name: str = "default"
    """The project this workspace logs into (runs, datasets and models belong to one)."""


@dataclass(frozen=True)
class StoreSettings:
    uri: str = ""
    """Metadata store: ``sqlite:///path`` or ``postgresql://…``; empty means the embedded SQLite."""


@dataclass(frozen=True)
class ObjectSettings:
    path: str = "objects"
    """Object store: a folder (relative to ``.shipyard/`` unless absolute) or ``s3://bucket/prefix``."""
    encrypt: bool = False
    """Encrypt the store at rest (AES-256-GCM); needs a key. Applies when a store is created."""
    key_file: str = ""
    """File holding the 32-byte store key (hex or base64); relative to ``.shipyard/``."""
    key_env: str = "SHIPYARD_OBJECTS_KEY"
    """Environment variable holding the store key when ``key_file`` is empty."""
    s3_endpoint_url: str = ""
    """S3-compatible endpoint (MinIO, moto…); empty means AWS."""
    s3_region: str = ""
    """S3 region; empty means the AWS default chain decides."""
    workers: int = 8
    """Parallel transfers and writes per operation."""


@dataclass(frozen=True)
class CostSettings:
    cpu_hour: float = 0.0
    """Price of one CPU core for one hour, in your currency."""
    gpu_hour: float = 0.0
    """Price of one GPU for one hour."""


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8750
    tls_cert: str = ""
    """PEM certificate chain; with ``tls_key`` the server speaks HTTPS only (TLS 1.2+)."""
    tls_key: str = ""
    max_body_mb: int = 256
    """Requests with a larger body are refused with 413."""
    public_metrics: bool = False
    """Serve ``/metrics`` without authentication (for a Prometheus inside the network)."""
    login_ttl: str = "12h"
    """Lifetime of the token ``shipyard login`` obtains."""


@dataclass(frozen=True)
class AuditSettings:
    checkpoint_key: str = ""
    """ECDSA P-256 private key (PEM) that signs audit checkpoints; empty: none are written.
    Keep it where the metadata store's writers cannot read it; relative to ``.shipyard/``."""
    checkpoint_public_key: str = ""
    """Public key (PEM) that ``audit verify`` trusts; default: the one of ``checkpoint_key``."""
    checkpoint_interval: str = "5m"
    """How often the team server writes a checkpoint when the log has grown; 0 turns it off."""
    checkpoint_export_dir: str = ""
    """A folder that receives a copy of every checkpoint the server writes (optional)."""
    checkpoint_webhook: str = ""
    """URL, or ``env:VARIABLE`` holding it, that every checkpoint is POSTed to (optional)."""


@dataclass(frozen=True)
class ClientSettings:
    token: str = ""
    """API token for a remote server; environment only (SHIPYARD_TOKEN), never the file."""
    ca_bundle: str = ""
    """CA certificates to trust for the server's TLS certificate (default: the system's)."""
    timeout_s: float = 30.0
    retry_deadline_s: float = 120.0
    """How long a write is retried (same Idempotency-Key, with back-off) before it fails."""


@dataclass(frozen=True)
class ModelSettings:
    require_signatures: bool = False
    """Refuse to load a model without a valid signature from a key in ``.shipyard/keys/``."""


@dataclass(frozen=True)
class DataSettings:
    link: str = "auto"
    """How ``data checkout`` materialises files: auto (reflink where the filesystem can,
    else copy), reflink, hardlink (files become read-only), or copy."""
    remote: str = ""
    """Name of the default remote for ``data push``/``pull`` (see ``[remotes.NAME]``)."""


LINK_MODES = ("auto", "reflink", "hardlink", "copy")


@dataclass(frozen=True)
class RemoteSettings:
    """One ``[remotes.NAME]`` table: where ``data push``/``pull`` send and fetch objects."""

    name: str
    url: str
    endpoint_url: str = ""
    """S3-compatible endpoint for this remote (default: ``objects.s3_endpoint_url``)."""
    region: str = ""


_REMOTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_REMOTE_KEYS = ("url", "endpoint_url", "region")


@dataclass(frozen=True)
class Settings:
    """Everything Shipyard reads from configuration, as one typed object."""

    project: ProjectSettings = field(default_factory=ProjectSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    objects: ObjectSettings = field(default_factory=ObjectSettings)
    cost: CostSettings = field(default_factory=CostSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    client: ClientSettings = field(default_factory=ClientSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    gates: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Promotion gates per alias (``[gates.production]`` tables), checked by the registry."""
    monitors: Mapping[str, MonitorConfig] = field(default_factory=dict)
    """``[monitors.<name>]`` tables: live monitors (``shipyard monitor run|schedule``)."""
    pipelines: Mapping[str, PipelineConfig] = field(default_factory=dict)
    """``[pipelines.<name>]`` tables: pipelines ``shipyard scheduler`` starts."""
    data: DataSettings = field(default_factory=DataSettings)
    remotes: tuple[RemoteSettings, ...] = ()
    """Data remotes from ``[remotes.NAME]`` tables of the config file, in file order."""
    oidc: OidcConfig | None = None
    """``[server.oidc]``: single sign-on through an OpenID provider (None: not configured)."""
    debug: bool = False
    workspace: Path | None = None
    """Root of the embedded workspace (the folder holding ``.shipyard/``), if any."""

    @property
    def dot_dir(self) -> Path | None:
        return None if self.workspace is None else self.workspace / ".shipyard"


# Short names for the settings people set most often.
ENV_ALIASES: Mapping[str, str] = {
    "SHIPYARD_URI": "store.uri",
    "SHIPYARD_PROJECT": "project.name",
    "SHIPYARD_DEBUG": "debug",
    "SHIPYARD_TOKEN": "client.token",
    "SHIPYARD_CA_BUNDLE": "client.ca_bundle",  # SHIPYARD_CLIENT_CA_BUNDLE works too
}

# Tables of named entries, parsed by their own module rather than as single settings.
_TABLES = frozenset({"monitors", "pipelines"})
# Keys that never come from the config file (they describe where the file is).
_NOT_IN_FILE = frozenset({"workspace", "debug", "client.token", "remotes", "oidc"})
# Sections whose keys are chosen by the user (``[gates.<alias>]``): kept as parsed tables,
# read from the file only, and checked by the subsystem that owns them.
_POLICY_SECTIONS = frozenset({"gates"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def setting_keys() -> dict[str, type]:
    """Every dotted setting key and its value type."""
    return dict(_setting_keys())


@functools.cache
def _setting_keys() -> dict[str, type]:
    # Resolving the type hints costs milliseconds; the classes never change.
    keys: dict[str, type] = {}
    for f in fields(Settings):
        if f.name in _POLICY_SECTIONS or f.name in _TABLES or f.name in ("remotes", "oidc"):
            continue
        kind = _hints(Settings)[f.name]
        if isinstance(kind, type) and is_dataclass(kind):
            for sub in fields(kind):
                keys[f"{f.name}.{sub.name}"] = _hints(kind)[sub.name]
        else:
            keys[f.name] = kind
    return keys


def env_var_for(key: str) -> str:
    """The environment variable of a dotted key: ``cost.cpu_hour`` → ``SHIPYARD_COST_CPU_HOUR``."""
    return "SHIPYARD_" + key.replace(".", "_").upper()


def build_settings(
    *,
    file: Mapping[str, Any] | None = None,
    file_label: str = "config file",
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    workspace: Path | None = None,
) -> Settings:
    """Merge the layers into a :class:`Settings`; later layers win.

    ``file`` is the parsed TOML document (sections of keys); ``env`` is the
    process environment (only ``SHIPYARD_*`` variables are read); ``flags`` maps
    dotted keys to values given on the command line, None meaning "not given".
    Raises :class:`ConfigError` naming the key and where it came from.
    """
    keys = _setting_keys()
    values: dict[str, tuple[Any, str]] = {}
    document = dict(file or {})
    policies = {name: _policy(document.pop(name), name, file_label)
                for name in _POLICY_SECTIONS if name in document}  # fmt: skip
    monitors = parse_monitors(document.pop("monitors", {}), file_label)
    pipelines = parse_pipelines(document.pop("pipelines", {}), file_label)
    remotes = parse_remotes(document.pop("remotes", {}), file_label)
    server_table = document.get("server")
    oidc_table = None
    if isinstance(server_table, Mapping) and "oidc" in server_table:
        document["server"] = {k: v for k, v in server_table.items() if k != "oidc"}
        oidc_table = server_table["oidc"]
    oidc = parse_oidc(oidc_table, env, file_label)
    for key, value in _flatten_file(document, keys, file_label).items():
        values[key] = (value, file_label)
    by_env = {env_var_for(k): k for k in keys} | dict(ENV_ALIASES)
    for var, key in by_env.items():
        if env is not None and var in env:
            values[key] = (env[var], f"environment variable {var}")
    for key, value in (flags or {}).items():
        if key not in keys:
            raise ConfigError(f"unknown setting {key!r}")
        if value is not None:
            values[key] = (value, "command line")

    settings = Settings(
        workspace=workspace, gates=policies.get("gates", {}), monitors=monitors,
        pipelines=pipelines, remotes=remotes, oidc=oidc,
    )  # fmt: skip
    for key, (raw, source) in values.items():
        value = _coerce(raw, keys[key], key, source)
        settings = _set(settings, key, value)
    if settings.data.link not in LINK_MODES:
        raise ConfigError(
            f"setting data.link has a bad value {settings.data.link!r}",
            hint=f"choose one of {', '.join(LINK_MODES)}",
        )
    _check_audit(settings.audit)
    return settings


def _check_audit(audit: AuditSettings) -> None:
    try:
        parse_duration(audit.checkpoint_interval)
    except InvalidInput:
        raise ConfigError(
            f"setting audit.checkpoint_interval has a bad value {audit.checkpoint_interval!r}",
            hint="write e.g. 5m, 1h, or 0 to turn the periodic checkpoints off",
        ) from None


def parse_remotes(tables: Any, label: str = "config file") -> tuple[RemoteSettings, ...]:
    """Read the ``[remotes.NAME]`` tables; raises :class:`ConfigError` naming the remote."""
    if not isinstance(tables, Mapping):
        raise ConfigError(
            f"'remotes' in {label} must be tables such as [remotes.origin]",
            hint='write [remotes.origin] then url = "s3://bucket/prefix"',
        )
    remotes = []
    for name, table in tables.items():
        if not _REMOTE_NAME.match(str(name)):
            raise ConfigError(
                f"bad remote name {name!r} in {label}",
                hint="use up to 64 letters, digits, '.', '_' or '-'",
            )
        if not isinstance(table, Mapping):
            raise ConfigError(f"remote {name!r} in {label} must be a table with a url")
        unknown = sorted(set(table) - set(_REMOTE_KEYS))
        if unknown:
            raise ConfigError(
                f"unknown setting {unknown[0]!r} of remote {name!r} in {label}",
                hint=f"a remote has {', '.join(_REMOTE_KEYS)}",
            )
        values = {k: table.get(k, "") for k in _REMOTE_KEYS}
        for key, value in values.items():
            if not isinstance(value, str):
                raise ConfigError(f"{key} of remote {name!r} in {label} must be text")
        if not values["url"]:
            raise ConfigError(f"remote {name!r} in {label} has no url")
        remotes.append(RemoteSettings(name=str(name), **values))
    return tuple(remotes)


def _flatten_file(doc: Mapping[str, Any], keys: Mapping[str, type], label: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, table in doc.items():
        if not isinstance(table, Mapping):
            key = section
            if key not in keys or key in _NOT_IN_FILE:
                raise ConfigError(f"unknown setting {key!r} in {label}", hint=_suggest(key, keys))
            flat[key] = table
            continue
        for name, value in table.items():
            key = f"{section}.{name}"
            if key == "client.token":
                raise ConfigError(
                    f"{label} must not hold an API token (the file is meant to be committed)",
                    hint="remove it and set SHIPYARD_TOKEN in the environment instead",
                )
            if key not in keys:
                raise ConfigError(f"unknown setting {key!r} in {label}", hint=_suggest(key, keys))
            flat[key] = value
    return flat


def _policy(table: Any, name: str, label: str) -> dict[str, dict[str, Any]]:
    """A policy section: a table of tables (``[gates.production]``), as parsed."""
    if not isinstance(table, Mapping) or not all(isinstance(v, Mapping) for v in table.values()):
        raise ConfigError(
            f"[{name}] in {label} must hold one table per entry",
            hint=f"write it as [{name}.NAME] sections, e.g. [{name}.production]",
        )
    return {str(k): dict(v) for k, v in table.items()}


def _suggest(key: str, keys: Mapping[str, type]) -> str:
    close = difflib.get_close_matches(key, [k for k in keys if k not in _NOT_IN_FILE], n=1)
    known = ", ".join(k for k in keys if k not in _NOT_IN_FILE)
    return f"did you mean {close[0]!r}?" if close else f"known settings: {known}"


def _coerce(raw: Any, kind: Any, key: str, source: str) -> Any:
    wanted = _base_type(kind)
    try:
        if wanted is bool:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
                return raw.strip().lower() in _TRUE
            raise ValueError("expected true or false")
        if wanted is float:
            if isinstance(raw, bool):
                raise ValueError("expected a number")
            number = float(raw)
            if not math.isfinite(number) or number < 0:
                raise ValueError("expected a finite, non-negative number")
            return number
        if wanted is int:
            if isinstance(raw, bool):
                raise ValueError("expected a whole number")
            return int(raw)
        if wanted is Path:
            return Path(str(raw))
        if wanted is str:
            if not isinstance(raw, str):
                raise ValueError("expected text")
            return raw
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {key} from {source} has a bad value {raw!r}: {exc}") from None
    raise ConfigError(f"setting {key} has an unsupported type")  # pragma: no cover


def _base_type(kind: Any) -> Any:
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        return args[0]
    return kind


def _set(settings: Settings, key: str, value: Any) -> Settings:
    if "." not in key:
        return replace(settings, **{key: value})
    section, name = key.split(".", 1)
    return replace(settings, **{section: replace(getattr(settings, section), **{name: value})})


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)
