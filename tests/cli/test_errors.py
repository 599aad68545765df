"""Exit codes are decided in cli/errors.py only: commands raise errors or check_failed()."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shipyard.cli.errors import (
    EXIT_CHECK_FAILED,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    check_failed,
    exit_code_for,
)
from shipyard.core.errors import Conflict, IntegrityError, InvalidInput, NotFound, Unavailable

SRC = Path(__file__).resolve().parents[2] / "src" / "shipyard"
CHOSEN_HERE = re.compile(r"typer\.Exit\(\s*\d|sys\.exit\(|\bexit\(\s*\d")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInput("x"), EXIT_USAGE),
        (NotFound("x"), EXIT_USAGE),
        (Conflict("x"), EXIT_USAGE),
        (IntegrityError("x"), EXIT_FAILURE),
        (Unavailable("x"), EXIT_FAILURE),
        (RuntimeError("x"), EXIT_FAILURE),
        (KeyboardInterrupt(), EXIT_INTERRUPTED),
    ],
)
def test_each_error_has_its_exit_code(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code


def test_a_failed_check_exits_1() -> None:
    assert check_failed().exit_code == EXIT_CHECK_FAILED == 1


def test_no_command_picks_an_exit_code_itself() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        if path.parent.name != "cli"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CHOSEN_HERE.search(line)
    ]
    assert offenders == []
