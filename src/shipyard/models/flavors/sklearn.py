"""scikit-learn models, saved with skops (no pickle) and loaded with its type check.

skops refuses to build any type outside its safe list unless told to trust it;
Shipyard asks the file which untrusted types it holds and refuses them unless
the caller passes ``trusted=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput, UntrustedModel
from shipyard.models.flavors.base import Flavor, SavedFlavor, distribution_versions

__all__ = ["SklearnFlavor"]

MODEL_FILE = "model.skops"


class SklearnFlavor(Flavor):
    name = "sklearn"
    modules = ("sklearn",)
    description = "scikit-learn estimators and pipelines, saved with skops (no pickle)"

    def handles(self, model: object) -> bool:
        from sklearn.base import BaseEstimator

        return isinstance(model, BaseEstimator)

    def save(self, model: Any, directory: Path, options: Mapping[str, Any]) -> SavedFlavor:
        import skops.io as sio
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(model)
        except NotFittedError:
            raise InvalidInput(
                f"the {type(model).__name__} is not fitted", hint="call fit() before saving it"
            ) from None
        except TypeError:
            pass  # not an estimator sklearn can check: let skops decide
        path = directory / MODEL_FILE
        try:
            sio.dump(model, path)
        except (TypeError, ValueError, NotImplementedError) as exc:
            raise InvalidInput(f"skops cannot save this {type(model).__name__}: {exc}") from exc
        untrusted = sio.get_untrusted_types(file=path)
        return SavedFlavor(
            params={
                "file": MODEL_FILE,
                "estimator": f"{type(model).__module__}.{type(model).__qualname__}",
                "untrusted_types": untrusted,
            },
            framework_versions=distribution_versions("scikit-learn", "skops", "numpy"),
        )

    def load(self, directory: Path, params: Mapping[str, Any], *, trusted: bool) -> Any:
        import skops.io as sio

        path = directory / MODEL_FILE
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as exc:  # skops raises many kinds for a malformed file
            raise InvalidInput(f"{MODEL_FILE} is not a readable skops file: {exc}") from exc
        if untrusted and not trusted:
            raise UntrustedModel(
                f"{MODEL_FILE} holds types outside skops' safe list ({', '.join(untrusted)}); "
                "building them could run their code",
                hint="review them, then load with trusted=True (CLI: --trust) if you trust "
                "the model's source",
            )
        try:
            return sio.load(path, trusted=untrusted or None)
        except Exception as exc:
            raise InvalidInput(f"skops cannot load {MODEL_FILE}: {exc}") from exc

    def predict(self, model: Any, data: Any) -> Any:
        return model.predict(data)

    def predict_proba(self, model: Any, data: Any) -> Any:
        if not hasattr(model, "predict_proba"):
            return super().predict_proba(model, data)
        return model.predict_proba(data)
