"""Flavors: how each framework's models are saved safely, loaded and asked to predict."""

from shipyard.registry.flavors.base import Flavor, SavedFlavor
from shipyard.registry.flavors.pyfunc import PythonModel
from shipyard.registry.flavors.registry import FLAVORS, detect_flavor, flavor_names, get_flavor

__all__ = [
    "FLAVORS",
    "Flavor",
    "PythonModel",
    "SavedFlavor",
    "detect_flavor",
    "flavor_names",
    "get_flavor",
]
