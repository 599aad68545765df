"""A model read back from its directory: one ``predict`` whatever the framework."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from shipyard.core.model_manifest import ModelManifest
from shipyard.core.signature import Signature
from shipyard.models.flavors.base import Flavor
from shipyard.models.signatures.validate import SignatureValidator

__all__ = ["LoadedModel"]


class LoadedModel:
    """A verified, loaded model: ``raw`` is the framework's own object."""

    def __init__(
        self,
        directory: Path,
        manifest: ModelManifest,
        flavor: Flavor,
        raw: Any,
        *,
        uri: str | None = None,
    ) -> None:
        self.directory = directory
        self.manifest = manifest
        self.flavor = flavor
        self.raw = raw
        self.uri = uri
        """``models:/NAME/N`` when loaded from the registry."""

    @property
    def signature(self) -> Signature | None:
        return self.manifest.signature

    @cached_property
    def validator(self) -> SignatureValidator | None:
        """Checks inputs against the signature (None when the model was saved without one)."""
        return SignatureValidator(self.signature) if self.signature is not None else None

    def input_example(self) -> Any:
        """The stored input example (a DataFrame, an array or a dict of arrays), or None."""
        from shipyard.models.signatures.example import read_example
        from shipyard.workspace.destinations import refuse_links

        if self.manifest.example_file is None:
            return None
        path = refuse_links(self.directory, self.manifest.example_file, what="example file")
        return read_example(path)

    def predict(self, data: Any) -> Any:
        return self.flavor.predict(self.raw, data)

    def predict_proba(self, data: Any) -> Any:
        return self.flavor.predict_proba(self.raw, data)

    def __repr__(self) -> str:
        where = self.uri or self.directory
        return f"<LoadedModel {self.manifest.flavor} from {where}>"
