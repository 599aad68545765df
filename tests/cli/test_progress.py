"""Progress bars render on a terminal and stay silent elsewhere."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from shipyard.cli import progress as progress_module
from shipyard.objects import copy_objects, open_store


def test_bars_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    monkeypatch.setattr(progress_module, "err_console", console)
    store = open_store(tmp_path / "a")
    paths = []
    for i in range(30):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(f"file {i}")
    with progress_module.progress_bars() as bars:
        refs = store.put_files(paths, progress=bars)
        copy_objects(store, open_store(tmp_path / "b"), [r.digest for r in refs], progress=bars)
    assert "storing 30 files" in out.getvalue()
    assert "copying 30 objects" in out.getvalue()


def test_quiet_when_not_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(progress_module, "err_console", Console(file=out, force_terminal=False))
    with progress_module.progress_bars() as bars:
        bars.begin("work", 10)
        bars.advance(10)
    assert out.getvalue() == ""
