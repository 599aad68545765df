from __future__ import annotations

import pandas as pd
from rich.console import Console

from shipyard.profiling import profile_table
from shipyard.profiling.render import format_number, render_profile, sparkline


def test_the_terminal_view_names_every_column_with_its_figures() -> None:
    frame = pd.DataFrame(
        {"age": [20, 30, 40, 50], "plan": ["pro", "pro", "basic", None], "none": [None] * 4}
    )
    console = Console(width=160, record=True)
    console.print(render_profile(profile_table(frame, source="users.csv")))
    text = console.export_text()
    assert "users.csv  4 rows × 3 columns" in text
    assert "age" in text
    assert "int64" in text
    assert "35" in text
    assert "pro 67%" in text
    assert "all null" in text


def test_small_helpers() -> None:
    assert sparkline([0, 1, 2, 4]) == " ▂▄█"
    assert sparkline([]) == ""
    assert format_number(1234567.0) == "1,234,567"
    assert format_number(0.000012) == "1.20e-5"
    assert format_number(123456.7) == "1.23e5"
    assert format_number(float("nan")) == "–"
