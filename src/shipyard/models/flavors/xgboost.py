"""XGBoost models (``Booster`` and the scikit-learn wrappers) in XGBoost's own JSON format."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.models.flavors.base import Flavor, SavedFlavor, distribution_versions

__all__ = ["XGBoostFlavor"]

MODEL_FILE = "model.json"
# The classes a manifest may name: anything else is refused before it is touched.
_KINDS = ("Booster", "XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier",
          "XGBRFRegressor")  # fmt: skip


class XGBoostFlavor(Flavor):
    name = "xgboost"
    modules = ("xgboost",)
    description = "XGBoost boosters and scikit-learn wrappers, in XGBoost's JSON format"
    extra = "xgboost"

    def handles(self, model: object) -> bool:
        import xgboost

        return isinstance(model, xgboost.Booster | xgboost.XGBModel)

    def save(self, model: Any, directory: Path, options: Mapping[str, Any]) -> SavedFlavor:
        import xgboost

        kind = next((k for k in _KINDS if type(model) is getattr(xgboost, k)), None)
        if kind is None:
            raise InvalidInput(
                f"the xgboost flavor saves {', '.join(_KINDS)}; got {type(model).__name__}"
            )
        try:
            model.save_model(str(directory / MODEL_FILE))
        except xgboost.core.XGBoostError as exc:
            raise InvalidInput(f"XGBoost cannot save the model: {exc}") from exc
        return SavedFlavor(
            params={"file": MODEL_FILE, "kind": kind},
            framework_versions=distribution_versions("xgboost", "numpy"),
        )

    def load(self, directory: Path, params: Mapping[str, Any], *, trusted: bool) -> Any:
        xgboost = self.require("xgboost")
        kind = params.get("kind")
        if kind not in _KINDS:
            raise InvalidInput(f"unknown XGBoost model kind {kind!r} in the manifest")
        model = getattr(xgboost, kind)()
        try:
            model.load_model(str(directory / MODEL_FILE))
        except xgboost.core.XGBoostError as exc:
            raise InvalidInput(f"XGBoost cannot load {MODEL_FILE}: {exc}") from exc
        return model

    def predict(self, model: Any, data: Any) -> Any:
        import xgboost

        if isinstance(model, xgboost.Booster):
            return model.predict(xgboost.DMatrix(data))
        return model.predict(data)

    def predict_proba(self, model: Any, data: Any) -> Any:
        if not hasattr(model, "predict_proba"):
            return super().predict_proba(model, data)
        return model.predict_proba(data)
