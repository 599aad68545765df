"""The model registry: safe model formats, versions, aliases, gates and cards.

``flavors/`` saves and loads each framework's models in a safe format,
``signatures/`` infers and checks input/output schemas, ``model_dir/`` writes
and verifies the model directory format (``shipyard-model.json``),
``signing/`` signs it in the OpenSSF model-signing format. The registry proper
stores such directories as numbered versions of named models: ``service.py``
(models, versions), ``aliases.py`` (moves, history, rollback, approvals),
``publish.py`` (save, sign, store, register), ``fetch.py`` + ``cache.py``
(resolve ``models:/`` references to verified local directories), ``gates/``
(promotion), ``card/`` (model cards).

The API for a model server (hot reload polls :func:`alias_version`)::

    from shipyard.registry import alias_version, resolve_model

    resolved = resolve_model(ctx, "models:/churn@production")
    resolved.name, resolved.version, resolved.directory   # a verified local folder
    alias_version(ctx, "churn", "production")              # -> 3: one indexed query

Every framework, and the database layer, is imported on first use, so
importing this package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard.core.model_ref import ModelRef

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.registry.fetch import ResolvedModel

__all__ = ["ModelRef", "alias_version", "resolve_model"]


def resolve_model(ctx: Context, uri: str | ModelRef) -> ResolvedModel:
    """Resolve ``models:/NAME@ALIAS`` / ``models:/NAME/N`` / ``models:/NAME@latest`` to a
    verified local directory.

    The version's files are fetched from the object store into the workspace's
    model cache (``.shipyard/cache/models/…``) once; every call then checks
    the manifest against the registry's record, every file against the
    manifest, and the signature under ``models.require_signatures``. Returns a
    :class:`~shipyard.registry.fetch.ResolvedModel` (``name``, ``version``,
    ``uri`` of the exact version, ``directory``, ``manifest``, ``record``).
    Raises :class:`NotFound` (unknown model, version or alias) or
    :class:`IntegrityError` (a tampered, corrupt or unsigned-where-required
    model, naming the file). Load the directory with
    :func:`shipyard.models.load_model`, or use ``manifest.flavor`` yourself.
    """
    return ctx.registry.resolve(uri)


def alias_version(ctx: Context, name: str, alias: str) -> int | None:
    """The version ``alias`` of ``name`` points at now, or None when it is unset.

    One indexed query and no file access: cheap enough to poll every few
    seconds for hot reload. ``alias="latest"`` gives the newest version.
    """
    return ctx.registry.alias_version(ctx.principal, ctx.project, name, alias)
