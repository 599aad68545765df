"""What a flavor is: how one framework's models are saved, loaded and asked to predict.

A flavor writes its files into a model directory in a format that cannot run
code when read (skops, ONNX, native JSON/text, safetensors, JSON state), and
returns the parameters it needs to read them back. Flavors import their
framework only inside methods, so listing flavors imports nothing heavy.
"""

from __future__ import annotations

import importlib
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from shipyard.core.errors import InvalidInput, UntrustedModel

__all__ = [
    "Flavor",
    "SavedFlavor",
    "distribution_versions",
    "import_class",
    "missing_framework",
]


@dataclass(frozen=True)
class SavedFlavor:
    """What a flavor's ``save`` reports: its JSON parameters and framework versions."""

    params: dict[str, Any] = field(default_factory=dict)
    framework_versions: dict[str, str] = field(default_factory=dict)


class Flavor(ABC):
    """One framework's save/load/predict. Subclasses are stateless singletons."""

    name: ClassVar[str]
    """Stable identifier stored in manifests (``sklearn``, ``onnx``…)."""
    modules: ClassVar[tuple[str, ...]]
    """Top-level packages whose types this flavor saves; detection looks at these first."""
    description: ClassVar[str]
    """One line for users: what it saves and in which format."""
    extra: ClassVar[str | None] = None
    """The pip extra that installs the framework, when it is optional."""

    @abstractmethod
    def handles(self, model: object) -> bool:
        """True if ``model`` is one this flavor saves (its framework is imported already)."""

    @abstractmethod
    def save(self, model: Any, directory: Path, options: Mapping[str, Any]) -> SavedFlavor:
        """Write the model's files into the empty ``directory``."""

    @abstractmethod
    def load(self, directory: Path, params: Mapping[str, Any], *, trusted: bool) -> Any:
        """Read the model back from ``directory`` (its digests are verified already)."""

    @abstractmethod
    def predict(self, model: Any, data: Any) -> Any:
        """The model's predictions for ``data``."""

    def predict_proba(self, model: Any, data: Any) -> Any:
        """Class probabilities; :class:`InvalidInput` where the model has none."""
        raise InvalidInput(f"a {self.name} model of this kind gives no class probabilities")

    def require(self, module: str) -> Any:
        """Import the framework, or say which extra installs it."""
        try:
            return importlib.import_module(module)
        except ImportError as exc:
            raise missing_framework(self, module) from exc


def missing_framework(flavor: Flavor, module: str) -> InvalidInput:
    extra = f"pip install 'shipyard[{flavor.extra}]'" if flavor.extra else f"pip install {module}"
    return InvalidInput(
        f"the {flavor.name} flavor needs {module}, which is not installed", hint=extra
    )


def distribution_versions(*names: str) -> dict[str, str]:
    """Installed versions of the named distributions (those installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def class_path(cls: type) -> str:
    """``module:QualName`` for an importable class; :class:`InvalidInput` otherwise."""
    module, qualname = cls.__module__, cls.__qualname__
    if module == "__main__" or "<locals>" in qualname:
        raise InvalidInput(
            f"class {qualname} is defined in {'a script' if module == '__main__' else 'a function'}"
            "; a loader could not import it again",
            hint="move the class into an importable module (a .py file on the Python path)",
        )
    return f"{module}:{qualname}"


def import_class(path: object, base: type, what: str, *, trusted: bool = False) -> type:
    """The class ``module:Class`` a manifest names, if it may be loaded; refused otherwise.

    The path comes from a manifest, so it is untrusted. Allowed without trust:
    ``base`` and its subclasses already defined in this process, found by
    walking ``base.__subclasses__()``, which imports nothing and runs no code
    (importing a module runs its code: ``this`` prints, ``antigravity`` opens a
    browser). Only with ``trusted`` is another module imported, and even then
    the class must subclass ``base`` before anything calls it.
    """
    if not isinstance(path, str) or path.count(":") != 1:
        raise InvalidInput(f"invalid {what} class path {path!r}", hint="use 'module:Class'")
    module_name, qualname = path.split(":")
    if not all(part.isidentifier() for part in [*module_name.split("."), *qualname.split(".")]):
        raise InvalidInput(f"invalid {what} class path {path!r}", hint="use 'module:Class'")
    loaded = _loaded_subclass(base, module_name, qualname)
    if loaded is not None:
        return loaded
    if not trusted:
        raise UntrustedModel(
            f"the manifest names the {what} class {path}, which is not a subclass of "
            f"{base.__module__}.{base.__qualname__} loaded in this process; refusing to "
            f"import {module_name} (importing runs its code)",
            hint=f"import {module_name} before loading the model, or load it with "
            "trusted=True (CLI: --trust) if you trust the model's source",
        )
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise InvalidInput(
            f"cannot import the {what} class {path}: {exc}",
            hint="install the package that defines it on the loading machine",
        ) from None
    if not isinstance(obj, type) or not issubclass(obj, base):
        raise UntrustedModel(
            f"{path} is not a subclass of {base.__module__}.{base.__qualname__}; "
            "refusing to call it",
            hint="a model manifest may only name classes made to be loaded",
        )
    return obj


def _loaded_subclass(base: type, module_name: str, qualname: str) -> type | None:
    """``base`` or a subclass of it defined as ``module_name:qualname``, if one exists now."""
    if module_name not in sys.modules:  # a class's module is imported before the class exists
        return None
    stack: list[type] = [base]
    seen: set[type] = set()
    while stack:
        cls = stack.pop()
        if cls.__module__ == module_name and cls.__qualname__ == qualname:
            return cls
        subclasses: list[type] = type.__subclasses__(cls)  # not a metaclass's override
        for sub in subclasses:
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return None
