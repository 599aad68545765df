"""Property: whatever a folder listing says, a checkout writes and deletes only inside its folder.

Hypothesis generates listings from hostile parts (``..``, ``.git`` in many
spellings, absolute and drive paths, backslashes, control characters, very
long names) and sometimes a symbolic link inside the tracked folder pointing
outside; after ``checkout --force`` everything outside the tracked folder
(the repository's ``.git``, the workspace's keys, a folder beside the
repository) is byte for byte as before.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipyard.context import Context, open_context
from shipyard.core.digest import digest_of
from shipyard.core.errors import ShipyardError
from shipyard.data.checkouts import checkout
from shipyard.data.paths import pointer_path
from shipyard.data.pointer import Pointer
from shipyard.data.workspace import DataWorkspace

_PART = st.sampled_from(
    ["a", "b", "..", ".", "", ".git", ".GIT", ".git.", "git~1", ".shipyard", "\u200c.git",
     "C:", "/", "\\", "\x00", "\n", "x" * 300, "config", "hooks"]
)  # fmt: skip
_PATH = st.lists(_PART, min_size=1, max_size=6).map(lambda parts: "/".join(parts))
_LINK = st.sampled_from([None, "a", "b"])


@pytest.fixture
def ctx(workspace: Path) -> Iterator[Context]:
    (workspace / ".shipyard" / "keys").mkdir(exist_ok=True)
    (workspace / ".shipyard" / "keys" / "signing-key.pem").write_text("private")
    (workspace / ".git" / "config").write_text("[core]\n")
    outside = workspace.parent / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    context = open_context(workspace)
    yield context
    context.close()


def _snapshot(root: Path, tracked: Path) -> dict[str, bytes | None]:
    skip = {".shipyard/shipyard.db", ".shipyard/cache", ".shipyard/objects", ".shipyard/tmp"}
    out: dict[str, bytes | None] = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path == tracked or tracked in path.parents or rel.endswith("t.yard"):
            continue
        if rel.endswith(".gitignore") or any(f"/{s}" in f"/{rel}" for s in skip):
            continue
        out[rel] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return out


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(paths=st.lists(_PATH, min_size=1, max_size=4, unique=True), link=_LINK)
def test_checkout_never_touches_anything_outside_the_tracked_folder(
    ctx: Context, paths: list[str], link: str | None
) -> None:
    root = ctx.settings.workspace
    assert root is not None
    tracked = root / "data" / "t"
    if tracked.is_symlink() or tracked.is_file():
        tracked.unlink()
    elif tracked.exists():
        shutil.rmtree(tracked)
    tracked.mkdir(parents=True)
    if link is not None:
        (tracked / link).symlink_to(root.parent / "outside")
    rows = []
    for i, path in enumerate(paths):
        data = f"owned {i}".encode()
        ctx.objects.put_bytes(data)
        rows.append([path, digest_of(data).hex, len(data)])
    listing = json.dumps({"type": "shipyard.data.tree", "version": 1, "files": rows}).encode()
    ctx.objects.put_bytes(listing)
    Pointer("data/t", "directory", digest_of(listing), 1, len(rows)).write(
        pointer_path(root, "data/t")
    )
    before = _snapshot(root.parent, tracked)
    with DataWorkspace(ctx) as ws, contextlib.suppress(ShipyardError):
        checkout(ws, ["data/t"], force=True)
    assert _snapshot(root.parent, tracked) == before
