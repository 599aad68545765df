"""``shipyard ui`` refuses what it cannot serve in one line, before binding a port."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result


def test_outside_a_workspace_it_says_what_to_do(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("ui", "--port", "0")
    assert result.exit_code == 2
    assert "shipyard ui serves a workspace, and there is none here" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_a_bad_port_is_refused(cli: Callable[..., Result], workspace: Path, port: str) -> None:
    result = cli("ui", "--port", port)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
