"""Dataset versions as drift references: ``data/train.parquet@<rev>``.

Registered with :func:`shipyard.monitoring.sources.register_resolver`, so
``shipyard monitor drift data/train.parquet@v1.0 today.csv`` compares with
the profile stored when that version was added: the reference's size never
drives the cost, and the data need not be on disk. ``<rev>`` is a git
revision (``HEAD~2``, a tag, a commit), or ``vN`` for the N-th version
recorded in the metadata store. A folder's version gives the merged profile
of its tabular files.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from shipyard.core.errors import InvalidInput, NotFound, WorkspaceNotFound
from shipyard.monitoring.sources import ResolvedData, register_resolver

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.data.pointer import Pointer
    from shipyard.data.workspace import DataWorkspace
    from shipyard.profiling.profile import Profile

__all__ = ["resolve_dataset"]

_NUMBERED = re.compile(r"^v(\d+)$")


def resolve_dataset(spec: str, context: Context | None) -> ResolvedData | None:
    """The stored profile of ``PATH@REV`` when PATH is tracked; None for anything else."""
    path, sep, rev = spec.rpartition("@")
    if not sep or not path or not rev:
        return None
    from shipyard.context import open_context
    from shipyard.data.workspace import DataWorkspace

    ctx = context if context is not None else open_context()
    try:
        ws = DataWorkspace(ctx)
    except WorkspaceNotFound:
        return None
    try:
        try:
            name = ws.name_of(path)
        except InvalidInput:
            return None
        if ws.pointer(name) is None and not _tracked_in_history(ws, name):
            return None
        profile = _profile(ws, name, rev)
        return ResolvedData(label=f"{name}@{rev}", profile=profile)
    finally:
        ws.close()
        if context is None:
            ctx.close()


def _tracked_in_history(ws: DataWorkspace, name: str) -> bool:
    return ws.in_git and bool(ws.repo.log(name + ".yard", limit=1))


def _profile(ws: DataWorkspace, name: str, rev: str) -> Profile:
    numbered = _NUMBERED.match(rev)
    if numbered and not _is_git_ref(ws, rev):
        record = ws.records.get(ws.ctx.principal, ws.project, name, version=int(numbered[1]))
        from shipyard.data.pointer import Pointer

        pointer = Pointer(
            name, record.kind, record.digest, record.size, record.files, record.rows,
            record.profile_digest,
        )  # fmt: skip
    else:
        pointer = ws.require_pointer(name, rev)
    return _pointer_profile(ws, pointer, rev)


def _is_git_ref(ws: DataWorkspace, rev: str) -> bool:
    if not ws.in_git:
        return False
    try:
        ws.repo.resolve(rev)
    except InvalidInput:
        return False
    return True


def _pointer_profile(ws: DataWorkspace, pointer: Pointer, rev: str) -> Profile:
    from shipyard.data.profiles import load_profile

    if pointer.profile is None:
        raise NotFound(
            f"{pointer.name}@{rev} has no stored profile (it is not a CSV or Parquet table)",
            hint="give a CSV, Parquet or profile JSON file as the reference instead",
        )
    try:
        if pointer.kind == "file":
            return load_profile(ws.store, pointer.profile)
        profiles = [
            load_profile(ws.store, digest)
            for digest, _rows in ws.profile_index(pointer).files.values()
        ]
    except NotFound:
        raise NotFound(
            f"the profile of {pointer.name}@{rev} is not in the local object store",
            hint=f"fetch it with `shipyard data pull {pointer.name} --rev {rev} --no-checkout`",
        ) from None
    if not profiles:
        raise NotFound(f"{pointer.name}@{rev} holds no profiled tables")
    merged = profiles[0]
    for other in profiles[1:]:
        merged = merged.merged(other)
    return merged


register_resolver(resolve_dataset)
