"""Generic Python models: a user class with ``predict``, persisted without pickle.

Subclass :class:`PythonModel`, implement ``predict`` and describe the state
that rebuilds the object:

* ``get_config()`` returns JSON-ready constructor arguments (default: none);
* ``save_files(directory)`` may write any files the model needs (weights,
  vocabularies…) in formats it chooses;
* ``load(directory, config)`` (a classmethod) rebuilds the object; the default
  calls ``cls(**config)`` and then ``load_files(directory)``.

The manifest stores the class as ``module:Class`` (it must be importable where
the model is loaded, so not defined in ``__main__``) and the config as JSON.
Loading takes the class only if it is a :class:`PythonModel` subclass already
defined in the process (the caller imported its module); the module is imported
for a trusted model only (:func:`~.base.import_class`), so a manifest can
neither run a module's import-time code nor make Shipyard call anything else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.models.flavors.base import Flavor, SavedFlavor, class_path, import_class

__all__ = ["PythonModel", "PythonModelFlavor"]

DATA_DIR = "data"


class PythonModel:
    """Base class of models saved with the ``python`` flavor; see the module docstring."""

    def predict(self, data: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """JSON-ready keyword arguments that rebuild this object with ``cls(**config)``."""
        return {}

    def save_files(self, directory: Path) -> None:
        """Write extra files into ``directory`` (empty; it ends up under ``data/``)."""

    def load_files(self, directory: Path) -> None:
        """Read the files ``save_files`` wrote (``directory`` is absent if it wrote none)."""

    @classmethod
    def load(cls, directory: Path, config: Mapping[str, Any]) -> PythonModel:
        model = cls(**config)
        model.load_files(directory)
        return model


class PythonModelFlavor(Flavor):
    name = "python"
    modules = ("shipyard",)
    description = "subclasses of shipyard.models.PythonModel: class path + JSON config + files"

    def handles(self, model: object) -> bool:
        return isinstance(model, PythonModel)

    def save(self, model: Any, directory: Path, options: Mapping[str, Any]) -> SavedFlavor:
        path = class_path(type(model))
        config = model.get_config()
        try:
            json.dumps(config)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"{type(model).__name__}.get_config() must return JSON-ready data: {exc}"
            ) from None
        if not isinstance(config, dict):
            raise InvalidInput(f"{type(model).__name__}.get_config() must return a dict")
        data = directory / DATA_DIR
        data.mkdir()
        model.save_files(data)
        return SavedFlavor(params={"class": path, "config": config, "data_dir": DATA_DIR})

    def load(self, directory: Path, params: Mapping[str, Any], *, trusted: bool) -> Any:
        cls = import_class(params.get("class"), PythonModel, "Python model", trusted=trusted)
        config = params.get("config", {})
        if not isinstance(config, Mapping):
            raise InvalidInput("the manifest's Python model config must be an object")
        return cls.load(directory / DATA_DIR, config)  # type: ignore[attr-defined]

    def predict(self, model: Any, data: Any) -> Any:
        return model.predict(data)

    def predict_proba(self, model: Any, data: Any) -> Any:
        if not hasattr(model, "predict_proba"):
            return super().predict_proba(model, data)
        return model.predict_proba(data)
