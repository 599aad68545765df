"""The known flavors, finding the one that saves a given model, and looking one up by name.

Detection looks at the module names of the model's class hierarchy first and
only asks a flavor (which imports its framework) when that framework is among
them and already imported: a model object of a framework implies the
framework is loaded, so detection never imports a framework that is not.
"""

from __future__ import annotations

import sys

from shipyard.core.errors import InvalidInput
from shipyard.models.flavors.base import Flavor
from shipyard.models.flavors.lightgbm import LightGBMFlavor
from shipyard.models.flavors.onnx import OnnxFlavor
from shipyard.models.flavors.pyfunc import PythonModelFlavor
from shipyard.models.flavors.pytorch import PyTorchFlavor
from shipyard.models.flavors.sklearn import SklearnFlavor
from shipyard.models.flavors.xgboost import XGBoostFlavor

__all__ = ["FLAVORS", "detect_flavor", "flavor_names", "get_flavor"]

# Order matters: XGBoost and LightGBM wrappers are scikit-learn estimators too.
FLAVORS: tuple[Flavor, ...] = (
    PythonModelFlavor(),
    OnnxFlavor(),
    XGBoostFlavor(),
    LightGBMFlavor(),
    PyTorchFlavor(),
    SklearnFlavor(),
)


def flavor_names() -> list[str]:
    return [f.name for f in FLAVORS]


def get_flavor(name: str) -> Flavor:
    """The flavor called ``name``; :class:`InvalidInput` naming the known ones otherwise."""
    for flavor in FLAVORS:
        if flavor.name == name:
            return flavor
    raise InvalidInput(
        f"unknown model flavor {name!r}", hint=f"supported flavors: {', '.join(flavor_names())}"
    )


def detect_flavor(model: object) -> Flavor:
    """The flavor that saves ``model``; :class:`InvalidInput` naming the supported ones."""
    roots = {cls.__module__.partition(".")[0] for cls in type(model).__mro__}
    for flavor in FLAVORS:
        if any(m in roots and m in sys.modules for m in flavor.modules) and flavor.handles(model):
            return flavor
    kind = type(model)
    raise InvalidInput(
        f"no flavor can save a {kind.__module__}.{kind.__qualname__}",
        hint="supported: " + "; ".join(f"{f.name} ({f.description})" for f in FLAVORS),
    )
