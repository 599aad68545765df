"""PyTorch modules: weights in safetensors, architecture as an importable class.

The directory holds ``model.safetensors`` (tensors only) and the manifest names
the module class as ``module:Class`` with its constructor keyword arguments as
JSON. Loading finds the class among the ``torch.nn.Module`` subclasses already
defined in the process (importing its module only for a trusted model, see
:func:`~.base.import_class`), builds it with those arguments and loads the
weights into it.

Options: ``module_class`` (default: the model's own class) and ``init_kwargs``
(default: none).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.models.flavors.base import (
    Flavor,
    SavedFlavor,
    class_path,
    distribution_versions,
    import_class,
)

__all__ = ["PyTorchFlavor"]

WEIGHTS_FILE = "model.safetensors"


class PyTorchFlavor(Flavor):
    name = "pytorch"
    modules = ("torch",)
    description = "PyTorch nn.Modules: weights in safetensors plus an importable module class"
    extra = "torch"

    def handles(self, model: object) -> bool:
        import torch

        return isinstance(model, torch.nn.Module)

    def save(self, model: Any, directory: Path, options: Mapping[str, Any]) -> SavedFlavor:
        from safetensors.torch import save_model

        module_class = options.get("module_class") or class_path(type(model))
        init_kwargs = options.get("init_kwargs", {})
        if not isinstance(init_kwargs, Mapping):
            raise InvalidInput("init_kwargs must be a mapping of constructor arguments")
        try:
            json.dumps(init_kwargs)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"init_kwargs must be JSON-serialisable: {exc}") from None
        save_model(model, str(directory / WEIGHTS_FILE))
        return SavedFlavor(
            params={
                "weights": WEIGHTS_FILE,
                "module_class": module_class,
                "init_kwargs": dict(init_kwargs),
            },
            framework_versions=distribution_versions("torch", "safetensors", "numpy"),
        )

    def load(self, directory: Path, params: Mapping[str, Any], *, trusted: bool) -> Any:
        torch = self.require("torch")
        from safetensors.torch import load_model

        cls = import_class(
            params.get("module_class"), torch.nn.Module, "PyTorch module", trusted=trusted
        )
        init_kwargs = params.get("init_kwargs", {})
        if not isinstance(init_kwargs, Mapping):
            raise InvalidInput("the manifest's init_kwargs must be an object")
        try:
            model = cls(**init_kwargs)
        except TypeError as exc:
            raise InvalidInput(f"cannot build {params['module_class']}: {exc}") from None
        try:
            load_model(model, str(directory / WEIGHTS_FILE), strict=True)
        except (RuntimeError, ValueError) as exc:
            raise InvalidInput(
                f"the weights in {WEIGHTS_FILE} do not fit {params['module_class']}: {exc}"
            ) from None
        model.eval()
        return model

    def predict(self, model: Any, data: Any) -> Any:
        import torch

        model.eval()
        with torch.no_grad():
            if isinstance(data, Mapping):
                output = model(**{k: _tensor(v) for k, v in data.items()})
            else:
                output = model(_tensor(data))
        return _numpy(output)


def _tensor(value: Any) -> Any:
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if hasattr(value, "to_numpy"):  # pandas
        value = value.to_numpy()
    return torch.from_numpy(np.ascontiguousarray(value))


def _numpy(output: Any) -> Any:
    import torch

    if isinstance(output, torch.Tensor):
        return output.detach().cpu().numpy()
    if isinstance(output, Mapping):
        return {k: _numpy(v) for k, v in output.items()}
    if isinstance(output, tuple | list):
        return type(output)(_numpy(v) for v in output)
    return output
