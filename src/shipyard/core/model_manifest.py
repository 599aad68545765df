"""The manifest of a model directory (``shipyard-model.json``), as a value object.

It names the flavor that reads the directory, the model's signature, and every
file with its BLAKE3 digest and size, so a loader can refuse a tampered or
missing file before any of it is parsed. Stored as versioned, type-tagged JSON;
a reader refuses a newer format version instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.core.relpath import check_relpath, check_relpaths
from shipyard.core.signature import Signature

__all__ = [
    "MANIFEST_FILE",
    "MANIFEST_FORMAT",
    "MANIFEST_VERSION",
    "SIGNATURE_FILE",
    "FileEntry",
    "ModelManifest",
    "check_relative_path",
]

MANIFEST_FILE = "shipyard-model.json"
SIGNATURE_FILE = "model.sig"
"""The OpenSSF model-signing bundle, beside the manifest (not listed in it)."""
MANIFEST_FORMAT = "shipyard.model"
MANIFEST_VERSION = 1

_HEX = frozenset("0123456789abcdef")


def check_relative_path(path: object, *, what: str = "model file") -> str:
    """A path that stays inside the model directory, or :class:`UnsafePath` naming it.

    The one check of :func:`shipyard.core.relpath.check_relpath`, with a model's wording.
    """
    return check_relpath(path, what=what)


@dataclass(frozen=True)
class FileEntry:
    """One file of a model directory: relative POSIX path, BLAKE3 hex digest, size in bytes."""

    path: str
    blake3: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "blake3": self.blake3, "size": self.size}

    @classmethod
    def from_dict(cls, data: object) -> FileEntry:
        if not isinstance(data, Mapping):
            raise InvalidInput(f"a model manifest has a malformed file entry {data!r}")
        path = check_relative_path(data.get("path"))
        digest = data.get("blake3")
        size = data.get("size")
        if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= _HEX:
            raise InvalidInput(f"file {path!r} has an invalid BLAKE3 digest in the manifest")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidInput(f"file {path!r} has an invalid size in the manifest")
        return cls(path=path, blake3=digest, size=size)


@dataclass(frozen=True)
class ModelManifest:
    """Everything needed to verify and load a model directory.

    ``flavor_params`` are the flavor's own settings (JSON), ``metadata`` the
    caller's extra fields, ``example_file`` the stored input example, if any.
    """

    flavor: str
    files: tuple[FileEntry, ...]
    signature: Signature | None = None
    flavor_params: Mapping[str, Any] = field(default_factory=dict)
    framework_versions: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    example_file: str | None = None
    created_at: str = ""
    shipyard_version: str = ""

    def file(self, path: str) -> FileEntry | None:
        return next((f for f in self.files if f.path == path), None)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "flavor": self.flavor,
            "flavor_params": dict(self.flavor_params),
            "signature": self.signature.to_dict() if self.signature is not None else None,
            "example_file": self.example_file,
            "files": [f.to_dict() for f in self.files],
            "framework_versions": dict(self.framework_versions),
            "metadata": dict(self.metadata),
            "created_at": self.created_at,
            "shipyard_version": self.shipyard_version,
        }

    @classmethod
    def from_dict(cls, data: object) -> ModelManifest:
        """Parse a stored manifest; raises :class:`InvalidInput` naming what is wrong."""
        if not isinstance(data, Mapping) or data.get("format") != MANIFEST_FORMAT:
            raise InvalidInput(f"not a Shipyard model manifest (no 'format': {MANIFEST_FORMAT!r})")
        version = data.get("version")
        if not isinstance(version, int) or version < 1:
            raise InvalidInput(f"the model manifest has an invalid version {version!r}")
        if version > MANIFEST_VERSION:
            raise InvalidInput(
                f"the model was saved with manifest format {version}; this Shipyard reads up "
                f"to {MANIFEST_VERSION}",
                hint="upgrade Shipyard to load it",
            )
        flavor = data.get("flavor")
        if not isinstance(flavor, str) or not flavor:
            raise InvalidInput("the model manifest names no flavor")
        raw_files = data.get("files")
        if not isinstance(raw_files, list):
            raise InvalidInput("the model manifest has no file list")
        files = tuple(FileEntry.from_dict(f) for f in raw_files)
        # Twice the same file, or a file that is also a folder: refused by name.
        check_relpaths([f.path for f in files], what="model file")
        signature = data.get("signature")
        versions = data.get("framework_versions", {})
        example = data.get("example_file")
        in_list = {f.path for f in files}
        if example is not None and check_relative_path(example, what="example file") not in in_list:
            raise InvalidInput(f"the manifest's example file {example!r} is not in its file list")
        return cls(
            flavor=flavor,
            files=files,
            signature=None if signature is None else Signature.from_dict(signature),
            flavor_params=_object(data.get("flavor_params", {}), "flavor_params"),
            framework_versions={
                str(k): str(v) for k, v in _object(versions, "framework_versions").items()
            },
            metadata=_object(data.get("metadata", {}), "metadata"),
            example_file=example,
            created_at=str(data.get("created_at", "")),
            shipyard_version=str(data.get("shipyard_version", "")),
        )


def _object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"'{name}' in the model manifest must be an object")
    return dict(value)
