"""The Markdown we ship renders as written: every fenced code block is closed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def unclosed_fences(text: str) -> list[str]:
    """Problems with the fences of a CommonMark page: a block left open, or a fence with an
    info string (```bash) met inside a block, which opens nothing and closes nothing."""
    problems: list[str] = []
    opened: tuple[int, str] | None = None  # line number, fence characters
    for number, line in enumerate(text.splitlines(), start=1):
        found = FENCE.match(line)
        if found is None:
            continue
        fence, info = found.group(1), found.group(2).strip()
        if opened is None:
            opened = (number, fence)
        elif fence[0] != opened[1][0] or len(fence) < len(opened[1]):
            continue  # content of the open block
        elif info:
            problems.append(f"line {number}: {fence}{info} inside the block of line {opened[0]}")
        else:
            opened = None
    if opened is not None:
        problems.append(f"the block opened at line {opened[0]} is never closed")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_fenced_code_block_is_closed(page: Path) -> None:
    assert unclosed_fences(page.read_text(encoding="utf-8")) == []


def test_the_check_finds_a_block_left_open() -> None:
    page = "Run:\n\n```bash\nshipyard init\nNext paragraph\n\n```python\nx = 1\n```\n"
    assert unclosed_fences(page) == ["line 7: ```python inside the block of line 3"]
    assert unclosed_fences("```\ncode\n") == ["the block opened at line 1 is never closed"]
    assert unclosed_fences("````md\n```\nnested\n```\n````\n") == []
