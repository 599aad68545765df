"""LightGBM models in LightGBM's own text format.

A ``Booster`` round-trips as itself. The scikit-learn wrappers are saved as
their booster plus their classes (JSON), and load as a :class:`LightGBMModel`
that predicts the same labels and probabilities as the wrapper did.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.models.flavors.base import Flavor, SavedFlavor, distribution_versions

__all__ = ["LightGBMFlavor", "LightGBMModel"]

MODEL_FILE = "model.txt"


class LightGBMModel:
    """A LightGBM booster with the label mapping of the classifier it came from."""

    def __init__(self, booster: Any, classes: list[Any] | None) -> None:
        self.booster = booster
        self.classes = classes

    def predict(self, data: Any) -> Any:
        import numpy as np

        if self.classes is None:
            return self.booster.predict(data)
        proba = self.predict_proba(data)
        return np.asarray(self.classes)[np.argmax(proba, axis=1)]

    def predict_proba(self, data: Any) -> Any:
        import numpy as np

        if self.classes is None:
            raise InvalidInput("this LightGBM model is a regressor: it has no probabilities")
        raw = self.booster.predict(data)
        if raw.ndim == 1:  # binary: the probability of the second class
            return np.column_stack([1.0 - raw, raw])
        return raw


class LightGBMFlavor(Flavor):
    name = "lightgbm"
    modules = ("lightgbm",)
    description = "LightGBM boosters and scikit-learn wrappers, in LightGBM's text format"
    extra = "lightgbm"

    def handles(self, model: object) -> bool:
        import lightgbm

        return isinstance(model, lightgbm.Booster | lightgbm.LGBMModel)

    def save(self, model: Any, directory: Path, options: Mapping[str, Any]) -> SavedFlavor:
        import lightgbm

        classes = None
        booster = model
        if isinstance(model, lightgbm.LGBMModel):
            if not getattr(model, "fitted_", False):
                raise InvalidInput(f"the {type(model).__name__} is not fitted")
            booster = model.booster_
            if isinstance(model, lightgbm.LGBMClassifier):
                classes = [_json_scalar(c) for c in model.classes_.tolist()]
        booster.save_model(str(directory / MODEL_FILE))
        return SavedFlavor(
            params={"file": MODEL_FILE, "estimator": type(model).__name__, "classes": classes},
            framework_versions=distribution_versions("lightgbm", "numpy"),
        )

    def load(self, directory: Path, params: Mapping[str, Any], *, trusted: bool) -> Any:
        lightgbm = self.require("lightgbm")
        try:
            booster = lightgbm.Booster(model_file=str(directory / MODEL_FILE))
        except lightgbm.basic.LightGBMError as exc:
            raise InvalidInput(f"LightGBM cannot load {MODEL_FILE}: {exc}") from exc
        if params.get("estimator") == "Booster":
            return booster
        classes = params.get("classes")
        if classes is not None and not isinstance(classes, list):
            raise InvalidInput("the manifest's LightGBM classes must be a list")
        return LightGBMModel(booster, classes)

    def predict(self, model: Any, data: Any) -> Any:
        return model.predict(data)

    def predict_proba(self, model: Any, data: Any) -> Any:
        if not hasattr(model, "predict_proba"):
            return super().predict_proba(model, data)
        return model.predict_proba(data)


def _json_scalar(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise InvalidInput(f"LightGBM class label {value!r} cannot be stored as JSON")
