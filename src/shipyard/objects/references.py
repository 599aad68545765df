"""gc roots: which objects the metadata of each domain still references.

A domain registers a *reference source*: a function that takes the
:class:`~shipyard.context.Context` and yields every digest its metadata points
at (datasets their files, the registry its model files, runs their
artifacts). ``shipyard gc`` keeps those objects, the chunks of their
manifests, and anything younger than the grace period; it deletes the rest.

Register at import time of a module listed in :data:`REFERENCE_MODULES`, so
``gc`` never runs without a domain's roots because nobody imported it::

    # shipyard/data/references.py
    from shipyard.objects.references import register_reference_source

    def dataset_objects(ctx):
        with ctx.db.read() as session:
            yield from (row.digest for row in ...)

    register_reference_source("datasets", dataset_objects)

A source that fails stops ``gc`` before anything is deleted. A source that
meets an object it cannot read (a corrupt folder listing) yields a
:class:`BrokenReference` for it and goes on: ``fsck`` reports it with the rest,
and ``gc`` stops, since what the unreadable object references is unknown.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shipyard.core.digest import Digest, ObjectRef
from shipyard.core.errors import InvalidInput, ShipyardError, Unavailable

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = [
    "REFERENCE_MODULES",
    "BrokenReference",
    "ReferenceSet",
    "ReferenceSource",
    "collect_references",
    "reference_sources",
    "register_reference_source",
    "unregister_reference_source",
]


@dataclass(frozen=True)
class BrokenReference:
    """A referenced object whose own references could not be read."""

    digest: Digest
    detail: str


ReferenceSource = Callable[["Context"], Iterable["Digest | ObjectRef | str | BrokenReference"]]

REFERENCE_MODULES: tuple[str, ...] = (
    "shipyard.data.references",
    "shipyard.monitoring.references",
    "shipyard.registry.references",
    "shipyard.serving.references",
    "shipyard.tracking.references",
)
"""Modules that register reference sources when imported; each domain adds its own."""

_SOURCES: dict[str, ReferenceSource] = {}
_LOCK = threading.Lock()


def register_reference_source(name: str, source: ReferenceSource) -> None:
    """Add (or replace) the source called ``name``."""
    if not name or not callable(source):
        raise InvalidInput("a reference source needs a name and a callable")
    with _LOCK:
        _SOURCES[name] = source


def unregister_reference_source(name: str) -> None:
    with _LOCK:
        _SOURCES.pop(name, None)


def reference_sources() -> dict[str, ReferenceSource]:
    """Every registered source, after importing :data:`REFERENCE_MODULES`."""
    for module in REFERENCE_MODULES:
        importlib.import_module(module)
    with _LOCK:
        return dict(_SOURCES)


@dataclass(frozen=True)
class ReferenceSet:
    digests: frozenset[Digest]
    by_source: dict[str, int] = field(default_factory=dict)
    broken: tuple[tuple[str, BrokenReference], ...] = ()
    """(source, object) for every referenced object whose references are unknown."""


def collect_references(ctx: Context, *, command: str = "gc") -> ReferenceSet:
    """Ask every source; raises :class:`Unavailable` naming the one that failed.

    ``command`` (``gc`` or ``fsck``) is named in the error's hint.
    """
    digests: set[Digest] = set()
    counts: dict[str, int] = {}
    broken: list[tuple[str, BrokenReference]] = []
    done = "nothing was deleted; " if command == "gc" else ""
    for name, source in sorted(reference_sources().items()):
        before = len(digests)
        try:
            for item in source(ctx):
                if isinstance(item, BrokenReference):
                    broken.append((name, item))
                    digests.add(item.digest)
                else:
                    digests.add(_as_digest(item))
        except ShipyardError as exc:
            raise Unavailable(
                f"reference source {name!r} failed: {exc.one_line()}",
                hint=f"{done}fix the cause and run {command} again",
            ) from exc
        except Exception as exc:
            raise Unavailable(
                f"reference source {name!r} failed: {type(exc).__name__}: {exc}",
                hint=f"{done}fix the cause and run {command} again",
            ) from exc
        counts[name] = len(digests) - before
    return ReferenceSet(frozenset(digests), counts, tuple(broken))


def _as_digest(item: Digest | ObjectRef | str) -> Digest:
    if isinstance(item, Digest):
        return item
    if isinstance(item, ObjectRef):
        return item.digest
    return Digest.parse(item)
