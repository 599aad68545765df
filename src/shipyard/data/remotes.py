"""Data remotes: ``[remotes.NAME]`` tables in ``.shipyard/config.toml``, and opening them.

``shipyard remote add NAME URL`` edits the committed config file with
``tomlkit``, so the user's comments and layout survive. A remote is an
object store like the workspace's own (``s3://bucket/prefix`` or a folder;
a relative folder is relative to the workspace root), opened with
:func:`shipyard.objects.open_remote`, so any location that function learns
to open (a team server's ``https://`` transfer endpoints) works here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import AlreadyExists, ConfigError, InvalidInput, NotFound
from shipyard.core.redact import redact_uri
from shipyard.core.settings import RemoteSettings, Settings, parse_remotes
from shipyard.workspace.atomic import write_atomic

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.objects.api import ProjectObjects

__all__ = [
    "Remote",
    "add_remote",
    "check_remote_url",
    "default_remote",
    "open_data_remote",
    "remove_remote",
    "resolve_remote",
    "set_default_remote",
]


@dataclass(frozen=True)
class Remote:
    name: str | None
    """The configured name, or None for a location given directly."""
    url: str
    """Where the store is: ``s3://…``, or an absolute folder."""
    endpoint_url: str = ""
    region: str = ""

    @property
    def key(self) -> str:
        """What the stat cache remembers pushes under."""
        return self.url

    @property
    def label(self) -> str:
        return self.name or redact_uri(self.url)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "endpoint_url": self.endpoint_url,
                "region": self.region}  # fmt: skip


def check_remote_url(url: str) -> str:
    """``url`` if it names a place a remote can be; raises :class:`InvalidInput`."""
    text = url.strip()
    if not text:
        raise InvalidInput("a remote needs a URL", hint="s3://bucket/prefix or a folder path")
    if text.startswith("s3://"):
        from shipyard.objects.backends.s3 import parse_s3_url

        parse_s3_url(text)
        return text
    if "://" in text and not text.startswith(("file://", "http://", "https://")):
        scheme = text.split("://", 1)[0]
        raise InvalidInput(
            f"{scheme}:// remotes are not supported", hint="use s3://bucket/prefix or a folder"
        )
    return text  # http(s):// is for a team server's transfer endpoints (open_remote decides)


def _absolute(url: str, root: Path) -> str:
    if url.startswith(("s3://", "http://", "https://")):
        return url
    text = url[len("file://") :] if url.startswith("file://") else url
    path = Path(text).expanduser()
    return str(path if path.is_absolute() else (root / path).resolve())


def _remote(settings: RemoteSettings, root: Path) -> Remote:
    return Remote(
        settings.name, _absolute(settings.url, root), settings.endpoint_url, settings.region
    )


def resolve_remote(settings: Settings, name: str | None, *, root: Path) -> Remote:
    """The remote called ``name`` (or at that URL), else the default one.

    The default is ``data.remote``, or the only remote when there is one.
    Raises :class:`InvalidInput` when nothing is named and none is configured
    (see :func:`default_remote` for "if any"), :class:`NotFound` for an
    unknown name.
    """
    remotes = {r.name: r for r in settings.remotes}
    if name:
        if name in remotes:
            return _remote(remotes[name], root)
        if "://" in name or "/" in name or name.startswith("."):
            return Remote(None, _absolute(check_remote_url(name), root))
        raise NotFound(
            f"no remote named {name!r}",
            hint=f"configured: {', '.join(remotes) or 'none'}; add one with "
            "`shipyard remote add NAME URL`",
        )
    default = settings.data.remote
    if default:
        if default not in remotes:
            raise ConfigError(
                f"data.remote names {default!r}, which is not a configured remote",
                hint="fix data.remote in .shipyard/config.toml, or `shipyard remote add`",
            )
        return _remote(remotes[default], root)
    if len(remotes) == 1:
        return _remote(next(iter(remotes.values())), root)
    if not remotes:
        raise InvalidInput(
            "no data remote is configured",
            hint="add one with `shipyard remote add origin s3://bucket/prefix` (or a folder)",
        )
    raise InvalidInput(
        f"several remotes are configured ({', '.join(remotes)}) and none is the default",
        hint="pass --remote NAME, or `shipyard remote default NAME`",
    )


def default_remote(settings: Settings, *, root: Path) -> Remote | None:
    """The default remote, or None when there is none (or no single obvious one)."""
    remotes = settings.remotes
    if not remotes or (len(remotes) > 1 and not settings.data.remote):
        return None
    return resolve_remote(settings, None, root=root)


def open_data_remote(ctx: Context, remote: Remote, *, create: bool = False) -> ProjectObjects:
    """The remote's object store (created on first push only, never by a pull)."""
    from shipyard.objects.open import open_remote

    return open_remote(
        ctx.settings,
        remote.url,
        endpoint_url=remote.endpoint_url or None,
        region=remote.region or None,
        create=create,
    )


# -- editing config.toml ------------------------------------------------------------


def _load(config: Path) -> Any:
    import tomlkit

    try:
        return tomlkit.parse(config.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {config}: {exc.strerror or exc}") from None
    except Exception as exc:  # tomlkit raises its own ParseError family
        raise ConfigError(f"{config} is not valid TOML: {exc}") from None


def _save(config: Path, doc: Any) -> None:
    import tomlkit

    text = tomlkit.dumps(doc)
    parse_remotes(_plain(doc).get("remotes", {}), str(config))  # never write what we cannot read
    try:
        write_atomic(config, text)
    except OSError as exc:
        raise ConfigError(f"cannot write {config}: {exc.strerror or exc}") from None


def _plain(doc: Any) -> dict[str, Any]:
    value = doc.unwrap() if hasattr(doc, "unwrap") else doc
    return value if isinstance(value, dict) else {}


def add_remote(
    config: Path,
    name: str,
    url: str,
    *,
    default: bool = False,
    endpoint_url: str = "",
    region: str = "",
    replace: bool = False,
) -> bool:
    """Add ``[remotes.NAME]``; returns True if it became the default remote."""
    import tomlkit

    parse_remotes({name: {"url": check_remote_url(url)}}, "the command line")
    doc = _load(config)
    remotes = doc.get("remotes")
    if remotes is None:
        remotes = tomlkit.table(is_super_table=True)
        doc["remotes"] = remotes
    if name in remotes and not replace:
        raise AlreadyExists(
            f"a remote named {name!r} exists already ({remotes[name].get('url')})",
            hint="pass --force to replace it, or choose another name",
        )
    table = tomlkit.table()
    table["url"] = url.strip()
    if endpoint_url:
        table["endpoint_url"] = endpoint_url
    if region:
        table["region"] = region
    remotes[name] = table
    data = doc.get("data")
    if data is None:
        data = tomlkit.table()
        doc["data"] = data
    became_default = default or not data.get("remote")
    if became_default:
        data["remote"] = name
    _save(config, doc)
    return bool(became_default)


def remove_remote(config: Path, name: str) -> None:
    doc = _load(config)
    remotes = doc.get("remotes")
    if remotes is None or name not in remotes:
        raise NotFound(f"no remote named {name!r}")
    del remotes[name]
    data = doc.get("data")
    if data is not None and data.get("remote") == name:
        data["remote"] = ""
    _save(config, doc)


def set_default_remote(config: Path, name: str) -> None:
    import tomlkit

    doc = _load(config)
    remotes = doc.get("remotes")
    if remotes is None or name not in remotes:
        raise NotFound(f"no remote named {name!r}", hint="add it with `shipyard remote add`")
    data = doc.get("data")
    if data is None:
        data = tomlkit.table()
        doc["data"] = data
    data["remote"] = name
    _save(config, doc)
