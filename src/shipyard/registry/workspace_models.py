"""Publishing and loading models through this machine's workspace, for either registry.

Both implementations of :class:`~shipyard.registry.api.Registry` inherit
these: a model is saved, signed and stored here, then registered through the
registry's own :meth:`register_files`; a registered version is fetched into
the local cache and verified here, whichever side holds the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.core.model_ref import ModelRef
from shipyard.core.signature import Signature
from shipyard.registry import fetch, publish
from shipyard.registry.entities import ModelVersion

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.models.model_dir.loaded import LoadedModel
    from shipyard.objects.progress import Progress
    from shipyard.registry.fetch import ResolvedModel

__all__ = ["WorkspaceModels"]


class WorkspaceModels:
    """The registry's operations on local files, as ``ctx``'s principal in its project."""

    ctx: Context

    def publish_model(
        self,
        model: object,
        name: str,
        *,
        input_example: object = None,
        flavor: str | None = None,
        signature: Signature | None = None,
        metadata: Mapping[str, object] | None = None,
        options: Mapping[str, object] | None = None,
        run_id: str | None = None,
        description: str = "",
        source: str = "run",
        progress: Progress | None = None,
    ) -> ModelVersion:
        return publish.publish_model(
            self.ctx, model, name, input_example=input_example, flavor=flavor,
            signature=signature, metadata=metadata, options=options, run_id=run_id,
            description=description, source=source, progress=progress,
        )  # fmt: skip

    def publish_directory(
        self,
        directory: Path | str,
        name: str,
        *,
        run_id: str | None = None,
        description: str = "",
        source: str = "directory",
        progress: Progress | None = None,
    ) -> ModelVersion:
        return publish.publish_directory(
            self.ctx, directory, name, run_id=run_id, description=description, source=source,
            progress=progress,
        )  # fmt: skip

    def resolve(self, ref: str | ModelRef, *, progress: Progress | None = None) -> ResolvedModel:
        return fetch.resolve_model(self.ctx, ref, progress=progress)

    def load_model(self, ref: str | ModelRef, *, trusted: bool = False) -> LoadedModel:
        return fetch.load_registered(self.ctx, ref, trusted=trusted)
