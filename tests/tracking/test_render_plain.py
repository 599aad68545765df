"""Long tables drawn as plain text read exactly as Rich draws them, without its cost."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from typer.testing import Result

import shipyard
from shipyard.tracking.entities import MetricPoint, Resources, Run, RunStatus
from shipyard.tracking.query.nodes import FieldKind
from shipyard.tracking.render import PLAIN_ROWS, plain_table, runs_lines, runs_table

Cli = Callable[..., Result]


def _run(i: int, name: str, status: RunStatus, **metrics: float) -> Run:
    return Run(
        id=f"01j{i:023d}",
        project="p",
        experiment="churn-ünïcode" if i % 2 else "e",
        name=name,
        status=status,
        start_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        end_time=None,
        created_by="local",
        resources=Resources(wall_seconds=3725.0 * i),
        cost=0.5 * i,
        params={"model": "lr"} if i % 3 else {},
        metrics={k: MetricPoint(k, v, 0, 0) for k, v in metrics.items()},
        tags={"team": "[bold]growth[/]"},
    )


def _rich(renderable: object) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=1000, color_system=None, highlight=False).print(renderable)
    return out.getvalue().splitlines()


def test_plain_runs_lines_are_the_rich_table_text() -> None:
    runs = [
        _run(1, "lr-baseline", RunStatus.FINISHED, accuracy=0.93, loss=math.nan),
        _run(2, "宽字符 name", RunStatus.FAILED, accuracy=math.inf),
        _run(3, "[red]not markup[/]", RunStatus.RUNNING),
        _run(12, "r", RunStatus.KILLED, accuracy=-1234567.891),
    ]
    columns = [(FieldKind.METRIC, "accuracy"), (FieldKind.METRIC, "loss"),
               (FieldKind.PARAM, "model"), (FieldKind.TAG, "team")]  # fmt: skip
    assert list(runs_lines(runs, columns)) == _rich(runs_table(runs, columns))


def test_plain_table_with_edges_matches_rich_too() -> None:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", show_edge=False)
    for name, justify in (("step", "right"), ("value", "right"), ("time (UTC)", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    rows = [("0", "1", "2026-01-02 03:04:05"), ("123456", "-inf", "2026-01-02 03:04:06")]
    for row in rows:
        table.add_row(*row)
    assert list(plain_table(("step", "value", "time (UTC)"), rows, right={0, 1},
                            pad_edge=True)) == _rich(table)  # fmt: skip


def test_runs_ls_draws_a_long_page_as_plain_text(cli: Cli, workspace: Path) -> None:
    for i in range(PLAIN_ROWS + 1):
        with shipyard.start_run(experiment="many", name=f"r{i}") as run:
            run.log_metric("accuracy", i / 100)
    result = cli("runs", "ls", "--limit", str(PLAIN_ROWS + 1))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split(" ┃ ")[:4] == [
        "id                        ",
        "experiment",
        "name",
        "status  ",
    ]
    assert len(lines) == 2 + PLAIN_ROWS + 1
    assert lines[2].split(" │ ")[2:4] == [f"r{PLAIN_ROWS}".ljust(4), "finished"]
