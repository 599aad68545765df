"""Helpers for dataset-versioning tests: git commits, small tables, fresh contexts."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.context import Context, open_context


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
