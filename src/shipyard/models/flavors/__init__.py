"""Flavors: how each framework's models are saved safely, loaded and asked to predict."""

from shipyard.models.flavors.base import Flavor, SavedFlavor
from shipyard.models.flavors.pyfunc import PythonModel
from shipyard.models.flavors.registry import FLAVORS, detect_flavor, flavor_names, get_flavor

__all__ = [
    "FLAVORS",
    "Flavor",
    "PythonModel",
    "SavedFlavor",
    "detect_flavor",
    "flavor_names",
    "get_flavor",
]
