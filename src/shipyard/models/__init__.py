"""The model SDK: save and load model directories, the registry, signing, MLflow import.

    from shipyard.models import save_model, load_model

    save_model(pipeline, "model", input_example=X_train.head(50))
    model = load_model("model")          # verifies every file's BLAKE3 digest first
    model.predict(X_test)

    register_model("model", "churn")                 # the next version of churn
    load_model("models:/churn@production")           # fetched, verified, loaded

Frameworks are imported on first use: importing this module costs nothing.
See docs/models.md for the directory format and the flavors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.extras import require
from shipyard.core.model_manifest import ModelManifest
from shipyard.core.signature import Signature
from shipyard.models.flavors.pyfunc import PythonModel
from shipyard.models.model_dir.loaded import LoadedModel

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.models.onnx_fastpath import FastPath
    from shipyard.models.signatures.validate import SignatureValidator
    from shipyard.models.signing.keys import KeyPath, KeyPaths
    from shipyard.models.signing.sign import SignResult
    from shipyard.models.signing.verify import VerifyResult
    from shipyard.registry.entities import ModelVersion

__all__ = [
    "LoadedModel",
    "ModelManifest",
    "PythonModel",
    "Signature",
    "flavor_names",
    "import_mlflow",
    "infer_signature",
    "load_model",
    "load_model_in",
    "onnx_fast_path",
    "read_manifest",
    "register_model",
    "save_model",
    "sign_model",
    "signature_validator",
    "verify_model",
]


def save_model(
    model: object,
    directory: Path | str,
    *,
    input_example: object = None,
    flavor: str | None = None,
    signature: Signature | None = None,
    metadata: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> ModelManifest:
    """Save ``model`` in a safe format into the new folder ``directory``; see docs/models.md."""
    require("models", "saving models", "numpy")
    from shipyard.models.model_dir.save import save_model as _save

    return _save(
        model,
        directory,
        input_example=input_example,
        flavor=flavor,
        signature=signature,
        metadata=metadata,
        options=options,
    )


def load_model(
    directory: Path | str,
    *,
    trusted: bool = False,
    require_signature: bool = False,
    public_keys: KeyPaths = (),
    context: Context | None = None,
) -> LoadedModel:
    """Verify and load a model directory, or a registered version by URI.

    ``models:/churn@production``, ``models:/churn/3`` and ``models:/churn@latest``
    are fetched from the registry of ``context`` (default: the workspace around
    the current folder) into the local cache, checked against the registry's
    record and the workspace's signing policy, then loaded. A path is loaded
    as a directory; ``public_keys`` are key files (``["key.pem"]`` or paths).
    ``trusted`` allows pickles, unknown types and importing the module of a
    class the manifest names.
    """
    require("models", "loading models", "numpy")
    if str(directory).startswith("models:"):
        return _load_registered(str(directory), trusted=trusted, context=context)
    from shipyard.models.model_dir.load import load_model as _load

    return _load(
        directory, trusted=trusted, require_signature=require_signature, public_keys=public_keys
    )


def _load_registered(uri: str, *, trusted: bool, context: Context | None) -> LoadedModel:
    from shipyard.context import open_context

    if context is not None:
        return context.registry.load_model(uri, trusted=trusted)
    with open_context() as ctx:
        return ctx.registry.load_model(uri, trusted=trusted)


def register_model(
    model: object,
    name: str,
    *,
    input_example: object = None,
    description: str = "",
    context: Context | None = None,
    **save_options: Any,
) -> ModelVersion:
    """Register the next version of ``name`` from a model object or a saved model directory.

    Inside a run, prefer ``run.log_model(...)``: it records the run as lineage.
    Returns the :class:`~shipyard.registry.entities.ModelVersion`.
    """
    from shipyard.context import open_context

    ctx = context or open_context()
    try:
        if isinstance(model, str | Path):
            return ctx.registry.publish_directory(model, name, description=description)
        return ctx.registry.publish_model(
            model,
            name,
            input_example=input_example,
            description=description,
            source="sdk",
            **save_options,
        )
    finally:
        if context is None:
            ctx.close()


def load_model_in(ctx: Context, directory: Path | str, *, trusted: bool = False) -> LoadedModel:
    """Load under the workspace's policy: ``models.require_signatures`` and its trusted keys."""
    from shipyard.models.signing.policy import signing_policy

    policy = signing_policy(ctx)
    return load_model(
        directory,
        trusted=trusted,
        require_signature=policy.required,
        public_keys=policy.public_keys,
    )


def read_manifest(directory: Path | str) -> ModelManifest:
    from shipyard.models.model_dir.load import read_manifest as _read

    return _read(directory)


def infer_signature(input_example: object, output: object | None = None) -> Signature:
    require("models", "signatures", "numpy")
    from shipyard.models.signatures.infer import infer_signature as _infer

    return _infer(input_example, output)


def signature_validator(signature: Signature) -> SignatureValidator:
    """A reusable checker: ``validator.validate(data)`` raises SignatureMismatch."""
    require("models", "signatures", "numpy")
    from shipyard.models.signatures.validate import SignatureValidator

    return SignatureValidator(signature)


def sign_model(directory: Path | str, private_key: KeyPath) -> SignResult:
    from shipyard.models.signing.sign import sign_model as _sign

    return _sign(directory, private_key)


def verify_model(
    directory: Path | str, public_keys: KeyPaths, *, required: bool = True
) -> VerifyResult:
    from shipyard.models.signing.verify import verify_model as _verify

    return _verify(directory, public_keys, required=required)


def import_mlflow(
    source: Path | str, destination: Path | str, *, trusted: bool = False
) -> ModelManifest:
    """Convert an MLflow scikit-learn model into a Shipyard model directory."""
    require("models", "MLflow import")
    from shipyard.models.mlflow_import import import_mlflow as _import

    return _import(source, destination, trusted=trusted)


def onnx_fast_path(model: Any, signature: Signature | None, example: Any) -> FastPath:
    """The checked ONNX Runtime version of a scikit-learn model, or why there is none."""
    require("models", "the ONNX fast path", "onnx", "onnxruntime", "skl2onnx")
    from shipyard.models.onnx_fastpath import onnx_fast_path as _fast

    return _fast(model, signature, example)


def flavor_names() -> list[str]:
    from shipyard.models.flavors.registry import flavor_names as _names

    return _names()
