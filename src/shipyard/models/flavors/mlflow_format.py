"""Models kept as MLflow wrote them (``MLmodel`` and its files), not in a safe format yet.

What MLflow's client logs to the team server (:mod:`shipyard.mlflow_api`) is
registered unchanged, under this flavor. Nothing checked what its files hold
(a pickle, cloudpickle or a skops file of any type), so loading it needs
``trusted=True``: the model is then converted in a scratch folder by
:func:`shipyard.models.mlflow_import.import_mlflow` and loaded from there.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from shipyard.core.errors import InvalidInput, UntrustedModel
from shipyard.models.flavors.base import Flavor, SavedFlavor

__all__ = ["MlflowFormatFlavor"]


class MlflowFormatFlavor(Flavor):
    name: ClassVar[str] = "mlflow"
    modules: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = "a model as MLflow saved it (MLmodel), loaded only if trusted"

    def handles(self, model: object) -> bool:
        return False  # never chosen to save a model: Shipyard saves in safe formats

    def save(self, model: Any, directory: Path, options: Mapping[str, Any]) -> SavedFlavor:
        raise InvalidInput("Shipyard does not save models in MLflow's format")

    def load(self, directory: Path, params: Mapping[str, Any], *, trusted: bool) -> Any:
        if not trusted:
            raise UntrustedModel(
                "this model is stored as MLflow wrote it, not in a safe format: loading it "
                "may run any code its files contain, so Shipyard refuses it unless you trust "
                "its source",
                hint="pass trusted=True (CLI: --trust) only for a model your team logged",
            )
        from shipyard.models.flavors.registry import get_flavor
        from shipyard.models.mlflow_import import import_mlflow

        with tempfile.TemporaryDirectory(prefix="shipyard-mlflow-") as scratch:
            converted = Path(scratch) / "model"
            manifest = import_mlflow(directory, converted, trusted=True)
            return get_flavor(manifest.flavor).load(converted, manifest.flavor_params, trusted=True)

    def predict(self, model: Any, data: Any) -> Any:
        return model.predict(data)

    def predict_proba(self, model: Any, data: Any) -> Any:
        if not hasattr(model, "predict_proba"):
            return super().predict_proba(model, data)
        return model.predict_proba(data)
