"""What a DVC repository tracks and where DVC keeps the bytes, read without DVC.

* ``*.dvc`` files (``outs:`` with ``path``, ``md5``, ``size``, ``nfiles``) and
  ``dvc.lock`` (``stages: NAME: outs:``) name outputs; paths are relative to
  the file that names them and are untrusted text: every one is checked
  (no ``..``, nothing absolute) before it becomes a Shipyard path.
* Content is addressed by MD5: ``.dvc/cache/files/md5/ab/cdef…`` (DVC 3) or
  ``.dvc/cache/ab/cdef…`` (DVC 2), and the same layout under a local remote
  (``.dvc/config``). A directory's md5 ends in ``.dir`` and names a JSON
  manifest of ``{"md5", "relpath"}`` entries.
* Nothing is believed unverified: :meth:`DvcContent.verified` hashes a file
  and refuses it (:class:`IntegrityError` naming it) unless its MD5 is the one
  DVC recorded. Links in the cache or remote are never followed.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from shipyard.core.errors import IntegrityError, InvalidInput, NotFound
from shipyard.core.relpath import check_relpath

__all__ = ["DvcContent", "DvcOutput", "dvc_file_names", "outputs_of"]

_MD5 = re.compile(r"^[0-9a-f]{32}(\.dir)?$")
_BLOCK = 1 << 20


@dataclass(frozen=True)
class DvcOutput:
    """One output DVC tracks: its workspace path, its MD5 (``….dir`` for a folder)."""

    name: str
    md5: str
    size: int | None
    origin: str
    """The file that names it (``data.csv.dvc``, ``dvc.lock``), for messages."""

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")


_STAGE_FILES = ("dvc.lock", "dvc.yaml")


def dvc_file_names(names: list[str]) -> list[str]:
    """The ``.dvc``, ``dvc.lock`` and ``dvc.yaml`` files among repository paths."""
    return sorted(n for n in names if n.endswith(".dvc") or posixpath.basename(n) in _STAGE_FILES)


def outputs_of(files: Mapping[str, bytes]) -> list[DvcOutput]:
    """Every cached output named by these ``.dvc`` / ``dvc.lock`` files (path → content);
    outputs DVC does not cache (``cache: false``, for ``dvc.lock`` as its ``dvc.yaml``
    says) are left out: git holds those."""
    found: dict[str, DvcOutput] = {}
    uncached = _uncached(files)
    for origin, raw in sorted(files.items()):
        kind = posixpath.basename(origin)
        if kind == "dvc.yaml":
            continue
        document = _yaml(origin, raw)
        if kind == "dvc.lock":
            stages = document.get("stages") or {}
            outs = [o for s in stages.values() if isinstance(s, dict) for o in s.get("outs") or []]
        else:
            outs = document.get("outs") or []
        base = posixpath.dirname(origin)
        for out in outs:
            item = _output(out, base, origin)
            if item is not None and item.name not in uncached:
                if isinstance(out, dict) and out.get("cache") is False:
                    continue
                found[item.name] = item
    return [found[n] for n in sorted(found)]


def _yaml(origin: str, raw: bytes) -> dict[str, Any]:
    import yaml

    try:
        document = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {origin}: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"{origin} is not a DVC file")
    return document


def _uncached(files: Mapping[str, bytes]) -> set[str]:
    """Workspace paths that ``dvc.yaml`` stages declare with ``cache: false``."""
    names: set[str] = set()
    for origin, raw in files.items():
        if posixpath.basename(origin) != "dvc.yaml":
            continue
        stages = _yaml(origin, raw).get("stages") or {}
        base = posixpath.dirname(origin)
        for stage in stages.values():
            if not isinstance(stage, dict):
                continue
            for section in ("outs", "metrics", "plots"):
                for item in stage.get(section) or []:
                    if isinstance(item, dict):
                        for path, options in item.items():
                            if isinstance(options, dict) and options.get("cache") is False:
                                names.add(posixpath.normpath(posixpath.join(base, str(path))))
    return names


def _output(out: object, base: str, origin: str) -> DvcOutput | None:
    if not isinstance(out, dict) or "path" not in out:
        raise InvalidInput(f"{origin} has a malformed output entry")
    path = str(out["path"])
    if path.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", path):
        raise InvalidInput(f"{origin}: output {path!r} is an absolute path; refused")
    name = check_relpath(posixpath.normpath(posixpath.join(base, path)) if base else path,
                         what=f"output of {origin}")  # fmt: skip
    if ".." in path.split("/"):
        raise InvalidInput(f"{origin}: output {path!r} leaves the repository; refused")
    md5 = out.get("md5")
    if md5 is None:
        return None  # not computed yet (an output never produced): nothing to import
    md5 = str(md5)
    if not _MD5.match(md5):
        raise InvalidInput(f"{origin}: output {path!r} has a malformed md5 {md5!r}")
    size = out.get("size")
    return DvcOutput(name, md5, size if isinstance(size, int) else None, origin)


class DvcContent:
    """Where the bytes of an MD5 are: the repository's cache, then its local remotes."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        dot = repo / ".dvc"
        if not dot.is_dir():
            raise NotFound(
                f"{repo} is not a DVC repository (no .dvc folder)",
                hint="run `shipyard data import-dvc` at the top of a DVC repository",
            )
        config = _config(dot)
        cache = config.get("cache", {}).get("dir")
        roots = [_local(cache, dot) if cache else dot / "cache"]
        default = config.get("core", {}).get("remote")
        remotes = {
            k[len("remote ") :].strip('"'): v for k, v in config.items() if k.startswith("remote ")
        }
        ordered = sorted(remotes, key=lambda r: r != default)
        self.skipped = [r for r in ordered if _local(remotes[r].get("url", ""), dot) is None]
        roots += [p for r in ordered if (p := _local(remotes[r].get("url", ""), dot)) is not None]
        self.roots = [r for r in roots if r is not None]

    def locate(self, md5: str) -> Path | None:
        """The first regular file holding ``md5`` (DVC 3 layout, then DVC 2's)."""
        for root in self.roots:
            for path in (root / "files" / "md5" / md5[:2] / md5[2:], root / md5[:2] / md5[2:]):
                if path.is_symlink():
                    continue  # a link could point anywhere: never read through one
                if path.is_file():
                    return path
        return None

    def require(self, md5: str, what: str) -> Path:
        """:meth:`locate`, or :class:`NotFound` naming the places looked in."""
        path = self.locate(md5)
        if path is None:
            where = ", ".join(str(r) for r in self.roots)
            raise NotFound(
                f"{what} (md5 {md5}) is in neither the DVC cache nor a local remote ({where})",
                hint="run `dvc pull` (or `dvc fetch`) first, then import again",
            )
        return path

    def verified(self, md5: str, what: str) -> Path:
        """The file holding ``md5``, hashed and found equal; :class:`IntegrityError` naming
        it when its bytes are not what DVC recorded, :class:`NotFound` when no cache or
        local remote has it."""
        path = self.require(md5, what)
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
        if digest.hexdigest() != md5.removesuffix(".dir"):
            raise IntegrityError(
                f"{path} should hold {what} (md5 {md5}) but its md5 is {digest.hexdigest()}; "
                "nothing was imported",
                hint="the DVC cache is damaged: fetch the file again with `dvc fetch`",
            )
        return path

    def manifest(self, md5: str, what: str) -> list[tuple[str, str]]:
        """A verified ``.dir`` manifest as (relative path, md5) pairs, paths checked."""
        path = self.verified(md5, what)
        try:
            entries = json.loads(path.read_bytes())
            pairs = [(str(e["relpath"]), str(e["md5"])) for e in entries]
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidInput(f"{path} is not a DVC directory manifest ({exc})") from None
        for rel, file_md5 in pairs:
            if rel.startswith("/") or ".." in rel.split("/"):
                raise InvalidInput(f"{what}: entry {rel!r} leaves the folder; refused")
            check_relpath(rel, what=f"entry of {what}")
            if not _MD5.match(file_md5) or file_md5.endswith(".dir"):
                raise InvalidInput(f"{what}: entry {rel!r} has a malformed md5")
        return pairs


def _config(dot: Path) -> dict[str, dict[str, str]]:
    """``.dvc/config`` then ``.dvc/config.local`` (configobj syntax; quotes stripped)."""
    merged: dict[str, dict[str, str]] = {}
    for name in ("config", "config.local"):
        path = dot / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(path.read_text(encoding="utf-8"))
        except (configparser.Error, UnicodeDecodeError, OSError) as exc:
            raise InvalidInput(f"cannot read {path}: {exc}") from None
        for section in parser.sections():
            merged.setdefault(section.strip("'\""), {}).update(parser[section])
    return merged


def _local(url: str, dot: Path) -> Path | None:
    """A local remote's folder (relative URLs are from ``.dvc/``); None for s3://, etc."""
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:
        return None
    path = Path(url)
    return path if path.is_absolute() else dot / path
