"""The registry's seam: what the SDK, the CLI and the routes ask of models and aliases.

Two implementations each, picked once by the context (``ctx.registry``,
``ctx.aliases``): in-process over the metadata store (:mod:`.local`), and a
team server's HTTP client (:mod:`.remote`). Callers never ask which they got.

Most operations take the :class:`Principal` asking and the project, as the
services do; an HTTP client sends neither (the server knows who asks from
the token). Operations on this machine's files (publishing a model, loading
a registered one) act as the context's principal in its project.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from shipyard.core.model_manifest import FileEntry
from shipyard.core.model_ref import ModelRef
from shipyard.core.principal import Principal
from shipyard.core.signature import Signature
from shipyard.registry.entities import (
    AliasEvent,
    Approval,
    Evaluation,
    ModelVersion,
    RegisteredModel,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from shipyard.models.model_dir.loaded import LoadedModel
    from shipyard.objects.progress import Progress
    from shipyard.registry.aliases import MoveResult
    from shipyard.registry.fetch import ResolvedModel
    from shipyard.registry.gates.promote import Promotion

__all__ = ["Aliases", "Registry", "VersionDetails"]


class VersionDetails(NamedTuple):
    """A version with its metrics (its run's latest, else the snapshot) and evaluations."""

    version: ModelVersion
    metrics: dict[str, float]
    evaluations: list[Evaluation]


class Registry(Protocol):
    """Registered models and their versions."""

    def list_models(self, principal: Principal, project: str) -> list[RegisteredModel]: ...

    def get_model(self, principal: Principal, project: str, name: str) -> RegisteredModel: ...

    def list_versions(
        self, principal: Principal, project: str, name: str, *, limit: int = ...
    ) -> list[ModelVersion]:
        """Versions of ``name``, newest first."""
        ...

    def get_version(self, principal: Principal, project: str, ref: ModelRef) -> ModelVersion:
        """The version ``ref`` names (number, alias or ``latest``); :class:`NotFound` if none."""
        ...

    def version_details(
        self, principal: Principal, project: str, ref: ModelRef
    ) -> VersionDetails: ...

    def alias_version(
        self, principal: Principal, project: str, name: str, alias: str
    ) -> int | None:
        """The version ``alias`` points at now (None if unset, or for an unknown model)."""
        ...

    def describe(
        self, principal: Principal, project: str, name: str, fields: Mapping[str, str | None]
    ) -> RegisteredModel:
        """Set (or, with None or "", clear) the model card's editable fields."""
        ...

    def evaluations(
        self, principal: Principal, project: str, name: str, version: int
    ) -> list[Evaluation]: ...

    def record_evaluation(
        self, principal: Principal, project: str, name: str, version: int, *,
        data_path: str, data_digest: str, rows: int, target: str,
        metrics: Mapping[str, float], source: str = ...,
    ) -> Evaluation: ...  # fmt: skip

    def card(self, principal: Principal, project: str, ref: ModelRef, fmt: str) -> str:
        """The model card of a version as ``json``, ``md`` or ``html`` text."""
        ...

    def register_files(
        self, principal: Principal, project: str, name: str, files: Sequence[FileEntry], *,
        run_id: str | None = ..., description: str = ..., source: str = ...,
    ) -> ModelVersion:  # fmt: skip
        """Register the next version of ``name`` from files already in the project's store
        (see :func:`shipyard.registry.stored.register_stored`)."""
        ...

    # -- this machine's files (as the context's principal, in its project) -------------

    def publish_model(
        self, model: object, name: str, *, input_example: object = ...,
        flavor: str | None = ..., signature: Signature | None = ...,
        metadata: Mapping[str, object] | None = ..., options: Mapping[str, object] | None = ...,
        run_id: str | None = ..., description: str = ..., source: str = ...,
        progress: Progress | None = ...,
    ) -> ModelVersion:  # fmt: skip
        """Save ``model`` safely, sign, store and register it as the next version of ``name``."""
        ...

    def publish_directory(
        self, directory: Path | str, name: str, *, run_id: str | None = ...,
        description: str = ..., source: str = ..., progress: Progress | None = ...,
    ) -> ModelVersion:  # fmt: skip
        """Register a saved model directory (left untouched) as the next version."""
        ...

    def resolve(self, ref: str | ModelRef, *, progress: Progress | None = ...) -> ResolvedModel:
        """A registered version fetched into the model cache and verified."""
        ...

    def load_model(self, ref: str | ModelRef, *, trusted: bool = ...) -> LoadedModel:
        """A registered version resolved, verified and loaded with its flavor."""
        ...


class Aliases(Protocol):
    """Alias moves, their history, approvals and promotions (gates)."""

    def set_alias(
        self, principal: Principal, project: str, name: str, alias: str, version: int, *,
        reason: str = ...,
    ) -> MoveResult: ...  # fmt: skip

    def remove_alias(
        self, principal: Principal, project: str, name: str, alias: str, *, reason: str = ...
    ) -> MoveResult: ...

    def rollback(
        self, principal: Principal, project: str, name: str, alias: str, *, reason: str = ...
    ) -> MoveResult: ...

    def history(
        self, principal: Principal, project: str, name: str, alias: str | None = ...
    ) -> list[AliasEvent]:
        """Every move of ``alias`` (or of every alias of the model), oldest first."""
        ...

    def approve(
        self, principal: Principal, project: str, name: str, version: int, alias: str, *,
        note: str = ...,
    ) -> Approval: ...  # fmt: skip

    def approvals(
        self, principal: Principal, project: str, name: str, version: int, alias: str | None = ...
    ) -> list[Approval]:
        """The approvals of ``version`` for ``alias`` (or for every alias), oldest first."""
        ...

    def promote(
        self, principal: Principal, project: str, ref: ModelRef, alias: str, *,
        dry_run: bool = ..., reason: str = ..., trusted: bool = ...,
    ) -> Promotion:  # fmt: skip
        """Evaluate ``alias``'s gates (the server's policy, remotely) and move it if all pass;
        ``trusted`` lets in-process gates load models that need it (a server decides alone)."""
        ...
