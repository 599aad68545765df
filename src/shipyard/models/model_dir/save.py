"""``save_model``: write a model directory, all or nothing.

The directory is assembled under a temporary name beside the target and
renamed into place last, so a failure (an unsupported model, an example that
does not fit) leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shipyard._version import __version__
from shipyard.core.errors import AlreadyExists, InvalidInput, ShipyardError
from shipyard.core.model_manifest import MANIFEST_FILE, ModelManifest
from shipyard.core.signature import Signature
from shipyard.models.flavors.base import Flavor
from shipyard.models.flavors.registry import detect_flavor, get_flavor
from shipyard.models.model_dir.digests import digest_tree
from shipyard.models.signatures.example import write_example
from shipyard.models.signatures.infer import infer_signature

__all__ = ["save_model", "write_manifest"]


def save_model(
    model: object,
    directory: Path | str,
    *,
    input_example: object = None,
    flavor: str | None = None,
    signature: Signature | None = None,
    metadata: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    example_rows: int = 100,
) -> ModelManifest:
    """Save ``model`` into the new folder ``directory`` and return its manifest.

    The flavor is detected from the model's type unless named. With an
    ``input_example``, the model predicts on it and the signature is inferred
    from both (unless ``signature`` is given); the first ``example_rows`` rows
    are stored with the model. ``options`` are flavor-specific (PyTorch:
    ``module_class``, ``init_kwargs``); ``metadata`` must be JSON-ready.

    Raises :class:`InvalidInput` for a model no flavor supports (naming those
    that exist) or an example the model cannot predict on, and
    :class:`AlreadyExists` if ``directory`` exists and is not empty.
    """
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise AlreadyExists(
            f"{target} exists and is not an empty folder; nothing was written",
            hint="choose a new folder for the model",
        )
    chosen = get_flavor(flavor) if flavor else detect_flavor(model)
    if flavor and not _handles(chosen, model):
        raise InvalidInput(f"the {chosen.name} flavor cannot save a {type(model).__name__}")
    extra = dict(metadata or {})
    _check_json(extra, "metadata")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.saving-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; a model folder is not
        saved = chosen.save(model, staging, options or {})
        example_file = None
        if input_example is not None:
            if signature is None:
                output = _predict_on_example(chosen, model, input_example)
                signature = infer_signature(input_example, output)
            example_file = write_example(staging, input_example, example_rows)
        manifest = ModelManifest(
            flavor=chosen.name,
            files=digest_tree(staging),
            signature=signature,
            flavor_params=saved.params,
            framework_versions={
                "python": platform.python_version(),
                "shipyard": __version__,
                **saved.framework_versions,
            },
            metadata=extra,
            example_file=example_file,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            shipyard_version=__version__,
        )
        write_manifest(staging, manifest)
        if target.exists():
            target.rmdir()  # empty, checked above
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def write_manifest(directory: Path, manifest: ModelManifest) -> None:
    text = json.dumps(manifest.to_dict(), indent=2, sort_keys=False) + "\n"
    (directory / MANIFEST_FILE).write_text(text, encoding="utf-8")


def _handles(flavor: Flavor, model: object) -> bool:
    try:
        return flavor.handles(model)
    except ImportError:
        return False


def _predict_on_example(flavor: Flavor, model: object, example: object) -> object:
    try:
        return flavor.predict(model, example)
    except ShipyardError:
        raise
    except Exception as exc:  # whatever the framework raises for a bad example
        raise InvalidInput(
            f"the model cannot predict on the input example: {type(exc).__name__}: {exc}",
            hint="pass an example shaped like the data the model was trained on",
        ) from exc


def _check_json(value: object, what: str) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"the model's {what} must be JSON-ready: {exc}") from None
