"""Pointer files: ``PATH.yard``, the small text file committed to git in place of the data.

A pointer names one version of a tracked file or directory by digest::

    # Shipyard data pointer: commit this file to git; the data itself stays out of git.
    # `shipyard data checkout` restores the data it names, `shipyard data pull` fetches it.
    shipyard-data: 1
    path: train.parquet
    kind: file
    digest: blake3:598e1288419030ff3f6d56ffe6715e261f38b01e6ea476015afca845f04b549c
    size: 1073741824
    files: 1
    rows: 50000
    profile: blake3:0c1d…

It is YAML, meant to survive hand edits and git merges: comments and unknown
keys are ignored, and every problem (syntax, a missing or malformed field,
left-over merge markers, a format newer than this Shipyard) is one
:class:`InvalidInput` naming the file and, where it can, the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput
from shipyard.workspace.atomic import write_atomic

__all__ = ["FORMAT_VERSION", "KINDS", "POINTER_SUFFIX", "Pointer", "parse_pointer", "read_pointer"]

POINTER_SUFFIX = ".yard"
FORMAT_VERSION = 1
KINDS = ("file", "directory")
_HEADER = (
    "# Shipyard data pointer: commit this file to git; the data itself stays out of git.\n"
    "# `shipyard data checkout` restores the data it names, `shipyard data pull` fetches it.\n"
)


@dataclass(frozen=True)
class Pointer:
    """One version of a tracked path, as its pointer file states it."""

    name: str
    """The data's path relative to the workspace root (``/`` separators)."""
    kind: str
    digest: Digest
    size: int
    files: int
    rows: int | None = None
    profile: Digest | None = None

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def pointer_name(self) -> str:
        return self.name + POINTER_SUFFIX

    def to_text(self) -> str:
        lines = [
            _HEADER,
            f"shipyard-data: {FORMAT_VERSION}\n",
            f"path: {_quote(self.basename)}\n",
            f"kind: {self.kind}\n",
            f"digest: blake3:{self.digest.hex}\n",
            f"size: {self.size}\n",
            f"files: {self.files}\n",
        ]
        if self.rows is not None:
            lines.append(f"rows: {self.rows}\n")
        if self.profile is not None:
            lines.append(f"profile: blake3:{self.profile.hex}\n")
        return "".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "digest": self.digest.hex,
            "size": self.size,
            "files": self.files,
            "rows": self.rows,
            "profile": self.profile.hex if self.profile else None,
        }

    def write(self, path: Path) -> None:
        """Write the pointer atomically (a temporary file renamed over ``path``)."""
        try:
            write_atomic(path, self.to_text())
        except OSError as exc:
            raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None


def _quote(text: str) -> str:
    import json

    plain = text and all(c.isalnum() or c in "._-" for c in text) and text[0] not in "-."
    return (
        text if plain and text not in ("true", "false", "null", "yes", "no") else json.dumps(text)
    )


def read_pointer(path: Path, name: str) -> Pointer:
    """Read the pointer file at ``path`` for the data called ``name``."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_pointer(text, name, where=str(path))


def parse_pointer(raw: bytes, name: str, *, where: str) -> Pointer:
    """Parse pointer text; ``where`` names the file (or ``REV:path``) in errors."""
    import yaml

    hint = "restore it with `git checkout -- FILE`, or run `shipyard data add` on the data again"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"pointer file {where} is not UTF-8 text", hint=hint) from None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(("<<<<<<<", ">>>>>>>", "=======")):
            raise InvalidInput(
                f"pointer file {where} has unresolved merge conflict markers (line {number})",
                hint="keep one side's lines, then run `shipyard data checkout` on the path",
            )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InvalidInput(
            f"pointer file {where} is not valid{line}: {problem}", hint=hint
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"pointer file {where} is not a Shipyard data pointer", hint=hint)
    version = data.get("shipyard-data")
    if version is None:
        raise InvalidInput(
            f"pointer file {where} lacks 'shipyard-data: {FORMAT_VERSION}'", hint=hint
        )
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInput(f"pointer file {where} has a bad format version {version!r}", hint=hint)
    if version > FORMAT_VERSION:
        raise InvalidInput(
            f"pointer file {where} has format {version}, newer than this Shipyard reads",
            hint="upgrade Shipyard",
        )

    def field(key: str, kind: type, required: bool = True) -> Any:
        value = data.get(key)
        if value is None:
            if required:
                raise InvalidInput(f"pointer file {where} lacks '{key}'", hint=hint)
            return None
        if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InvalidInput(
                f"'{key}' in pointer file {where} must be a whole number ≥ 0, not {value!r}",
                hint=hint,
            )
        if kind is str and not isinstance(value, str):
            raise InvalidInput(f"'{key}' in pointer file {where} must be text", hint=hint)
        return value

    kind = field("kind", str)
    if kind not in KINDS:
        raise InvalidInput(
            f"'kind' in pointer file {where} must be file or directory, not {kind!r}", hint=hint
        )
    basename = name.rsplit("/", 1)[-1]
    stated = field("path", str, required=False)
    if stated is not None and stated != basename:
        raise InvalidInput(
            f"pointer file {where} is for {stated!r}, but its name says {basename!r}",
            hint=f"rename the pointer to {stated}{POINTER_SUFFIX}, or fix its 'path'",
        )
    try:
        digest = Digest.parse(str(field("digest", str)))
        profile_text = field("profile", str, required=False)
        profile = Digest.parse(profile_text) if profile_text is not None else None
    except InvalidInput as exc:
        raise InvalidInput(f"pointer file {where}: {exc.message}", hint=hint) from None
    files = field("files", int, required=False)
    if files is None:
        files = 1 if kind == "file" else 0
    return Pointer(
        name=name,
        kind=kind,
        digest=digest,
        size=field("size", int),
        files=files,
        rows=field("rows", int, required=False),
        profile=profile,
    )
