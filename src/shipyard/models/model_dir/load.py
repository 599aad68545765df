"""``load_model``: verify a model directory, then read it with its flavor.

Order of checks: the manifest parses; every file's BLAKE3 digest matches and
no unlisted file is present; if a signature is required or trusted keys are
given, the OpenSSF signature verifies (it also covers the manifest). Only then
does the flavor read a byte of model data, and it refuses pickles, unknown
types and classes whose module is not imported unless ``trusted``, and any
side file (ONNX external data) outside the directory whatever the trust.
"""

from __future__ import annotations

import json
from pathlib import Path

from shipyard.core.errors import IntegrityError, InvalidInput, NotFound, UnsafePath
from shipyard.core.model_manifest import MANIFEST_FILE, ModelManifest
from shipyard.models.flavors.registry import get_flavor
from shipyard.models.model_dir.digests import verify_files
from shipyard.models.model_dir.loaded import LoadedModel
from shipyard.models.signing.keys import KeyPaths, key_paths

__all__ = ["load_model", "read_manifest"]


def read_manifest(directory: Path | str) -> ModelManifest:
    """The manifest of a model directory; :class:`NotFound` if there is none,
    :class:`IntegrityError` if it cannot be parsed."""
    folder = Path(directory)
    path = folder / MANIFEST_FILE
    if not folder.is_dir():
        raise NotFound(f"no model directory at {folder}")
    if not path.is_file():
        raise NotFound(
            f"{folder} is not a Shipyard model directory (no {MANIFEST_FILE})",
            hint="save models with shipyard.models.save_model, or import MLflow models with "
            "`shipyard models import-mlflow`",
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IntegrityError(
            f"{MANIFEST_FILE} in {folder} is not valid JSON: {exc}", object_id=MANIFEST_FILE
        ) from None
    try:
        return ModelManifest.from_dict(document)
    except UnsafePath:
        raise  # names the entry already; a bad path is refused input (exit 2), not corruption
    except InvalidInput as exc:
        raise IntegrityError(
            f"{MANIFEST_FILE} in {folder} is malformed: {exc}", object_id=MANIFEST_FILE
        ) from None


def load_model(
    directory: Path | str,
    *,
    trusted: bool = False,
    require_signature: bool = False,
    public_keys: KeyPaths = (),
) -> LoadedModel:
    """Verify and load the model saved in ``directory``.

    ``trusted`` allows pickles, types outside skops' safe list and importing
    the modules of classes a manifest names (otherwise :class:`UntrustedModel`).
    With ``require_signature`` the directory must carry a valid signature from
    one of ``public_keys`` (paths, as :class:`~pathlib.Path` or text); with keys
    but without the requirement, a signature present is still checked. Raises
    :class:`IntegrityError` naming a missing, changed or unexpected file, an
    unsigned model where one is required, or a signature from an unknown key;
    :class:`UnsafePath` naming a path that could leave the directory.
    """
    folder = Path(directory)
    keys = key_paths(public_keys)
    manifest = read_manifest(folder)
    verify_files(folder, manifest.files)  # first: it names the changed file plainly
    if require_signature or keys:
        from shipyard.models.signing.verify import verify_model

        verify_model(folder, keys, required=require_signature)
    flavor = get_flavor(manifest.flavor)
    raw = flavor.load(folder, manifest.flavor_params, trusted=trusted)
    return LoadedModel(folder, manifest, flavor, raw)
