"""The third-party checkers the tests run, from their own venv (made by scripts/checkers).

They are never Shipyard's dependencies. Without the venv the checks are skipped with
the reason; CI always creates it first.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

VENV = Path(__file__).resolve().parent / ".venv"


def tool(name: str) -> str:
    """The path of checker ``name``; skips the test when the checkers' venv is absent."""
    path = VENV / "bin" / name
    if not (VENV / "bin" / "python").exists():
        pytest.skip(f"the checkers' venv {VENV} is absent: run scripts/checkers")
    if not path.exists():
        pytest.fail(f"{name} is missing from {VENV}: run scripts/checkers again")
    return str(path)


def run(name: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run checker ``name`` with ``args``; its output is captured as text."""
    return subprocess.run(
        [tool(name), *args], capture_output=True, text=True, check=False, cwd=cwd, timeout=300
    )
