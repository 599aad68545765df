"""Helpers for dataset-versioning tests: git commits, small tables, fresh contexts."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.context import Context, open_context
from tests.ui.livekit import HOSTILE

RETYPED = (
    f"id,score,city,{HOSTILE}\n1,0.5,a,x\n2,,b,y\n3,2.5,a,x\n",
    f"id,score,city,{HOSTILE},segment\n"
    "1.5,0.5,a,x,s1\n2.5,1.0,b,y,s2\n3.5,2.5,a,x,s1\n4.5,,c,x,s2\n",
)
"""Two versions of a CSV: ``id`` turns from int64 into double, ``segment`` is added, a
row more; one column is named like markup (the pages must show it as text)."""


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Tess Ter")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tess@example.com")
    monkeypatch.setenv("COLUMNS", "200")


def commit(root: Path, message: str) -> str:
    """Stage everything and commit; returns the commit id."""
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=root, check=True)
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True)
    return out.stdout.decode().strip()


def write_csv(path: Path, rows: int, *, extra_column: bool = False, offset: float = 0.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "id,score" + (",segment" if extra_column else "")
    lines = [header]
    for i in range(rows):
        line = f"{i},{(i * 37 % 101) / 10 + offset}"
        if extra_column:
            line += f",s{i % 3}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")


def write_files(folder: Path, count: int, *, prefix: str = "f", size: int = 64) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"{prefix}{i:04d}.bin").write_bytes(f"{prefix}{i}".encode() * (size // 4))


@pytest.fixture
def ctx(workspace: Path) -> Iterator[Context]:
    """A context on the test workspace (closed afterwards)."""
    context = open_context(workspace)
    yield context
    context.close()
