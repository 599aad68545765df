"""``data status``: which tracked paths differ from their pointers, and what is not pushed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.data.pointer import Pointer
from shipyard.data.workspace import DataWorkspace

__all__ = ["PathStatus", "status"]


@dataclass
class PathStatus:
    name: str
    kind: str
    state: str
    """``unchanged``, ``modified`` (differs from the pointer), ``deleted`` (nothing on disk)."""
    in_store: bool
    """The local store holds the version the pointer names (else: pull it)."""
    pushed: bool | None
    """Whether the default remote holds it (None: no remote to compare with)."""
    added: int = 0
    removed: int = 0
    modified: int = 0
    """For folders: files added, removed and modified against the pointer's listing."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def status(
    ws: DataWorkspace,
    names: list[str] | None = None,
    *,
    remote: str | None = None,
    check_remote: bool = False,
) -> list[PathStatus]:
    """Status of every tracked path (or of ``names``).

    ``remote`` names the remote to compare with; by default the pushes this
    workspace remembers are used, and ``check_remote`` asks the remote itself.
    """
    from shipyard.data.remotes import default_remote, resolve_remote

    wanted = names if names is not None else ws.pointer_names()
    pointers = {n: ws.require_pointer(n) for n in wanted}
    out: list[PathStatus] = []
    for name, pointer in pointers.items():
        out.append(_one(ws, name, pointer))
    settings = ws.ctx.settings
    if remote:
        target = resolve_remote(settings, remote, root=ws.root)
    else:
        found = default_remote(settings, root=ws.root)
        if found is None:
            return out
        target = found
    digests = {s.name: pointers[s.name].digest.hex for s in out}
    if check_remote:
        from shipyard.core.digest import Digest
        from shipyard.data.remotes import open_data_remote

        with open_data_remote(ws.ctx, target) as store:
            missing = {d.hex for d in store.missing({Digest(d) for d in digests.values()})}
        held = set(digests.values()) - missing
        ws.cache.remember_pushed(target.key, held)
        ws.cache.forget_pushed(target.key, missing)
    else:
        held = ws.cache.pushed(target.key, digests.values())
    for item in out:
        item.pushed = digests[item.name] in held
    return out


def _one(ws: DataWorkspace, name: str, pointer: Pointer) -> PathStatus:
    in_store = ws.store.has(pointer.digest)
    now = ws.current(name)
    if now is None:
        return PathStatus(name, pointer.kind, "deleted", in_store, None)
    kind, digest, tree = now
    if kind == pointer.kind and digest == pointer.digest:
        return PathStatus(name, pointer.kind, "unchanged", in_store, None)
    item = PathStatus(name, pointer.kind, "modified", in_store, None)
    if pointer.kind == "directory" and kind == "directory" and in_store:
        before = ws.tree(pointer).by_path()
        after = tree.by_path()
        item.added = len(after.keys() - before.keys())
        item.removed = len(before.keys() - after.keys())
        item.modified = sum(
            1 for p in after.keys() & before.keys() if after[p].digest != before[p].digest
        )
    return item
