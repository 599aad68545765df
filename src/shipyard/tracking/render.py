"""Rich renderings of runs for the CLI: lists, one run in full, side-by-side comparisons."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from shipyard.cli.console import human_bytes
from shipyard.tracking.entities import Experiment, Run, RunDetail, RunStatus
from shipyard.tracking.query.nodes import FieldKind

__all__ = [
    "PLAIN_ROWS",
    "compare_table",
    "experiments_table",
    "format_metric",
    "plain_table",
    "run_panel",
    "runs_lines",
    "runs_table",
]

STATUS_STYLE = {
    RunStatus.RUNNING: "cyan",
    RunStatus.FINISHED: "green",
    RunStatus.FAILED: "red",
    RunStatus.KILLED: "yellow",
}


def format_metric(value: float) -> str:
    """Numbers as people read them; NaN and infinities spelled out."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def status_text(status: RunStatus) -> str:
    return f"[{STATUS_STYLE[status]}]{status.value}[/]"


def duration_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} m {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} m"


def time_text(when: datetime | None) -> str:
    if when is None:
        return "-"
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def cost_text(cost: float) -> str:
    return "-" if cost == 0 else f"{cost:.4f}" if cost < 1 else f"{cost:,.2f}"


PLAIN_ROWS = 100
"""Lists longer than this (or not on a terminal) are drawn as plain text
(:func:`plain_table`): Rich measures every cell of a table twice, about a millisecond
a row."""

_RUN_HEADERS = ("id", "experiment", "name", "status", "started (UTC)", "duration", "cost")


def runs_table(runs: Sequence[Run], columns: Sequence[tuple[FieldKind, str]]) -> Table:
    """One row per run; ``columns`` adds chosen metrics, params and tags."""
    table = Table(show_header=True, header_style="bold", show_edge=False, pad_edge=False)
    table.add_column("id", no_wrap=True, style="dim")
    table.add_column("experiment")
    table.add_column("name")
    table.add_column("status")
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("duration", justify="right")
    table.add_column("cost", justify="right")
    for kind, key in columns:
        table.add_column(escape(f"{kind.value}.{key}"), justify="right")
    for run in runs:
        cells = [escape(cell) for cell in _run_cells(run, columns)]
        cells[3] = status_text(run.status)
        table.add_row(*cells)
    return table


def runs_lines(runs: Sequence[Run], columns: Sequence[tuple[FieldKind, str]]) -> Iterator[str]:
    """:func:`runs_table` as plain lines, for long lists (the same text, without colour)."""
    headers = [*_RUN_HEADERS, *(f"{kind.value}.{key}" for kind, key in columns)]
    right = {5, 6, *range(7, len(headers))}
    return plain_table(headers, [_run_cells(run, columns) for run in runs], right=right)


def _run_cells(run: Run, columns: Sequence[tuple[FieldKind, str]]) -> list[str]:
    cells = [
        run.id,
        run.experiment,
        run.name,
        run.status.value,
        time_text(run.start_time),
        duration_text(run.resources.wall_seconds),
        cost_text(run.cost),
    ]
    cells.extend(_cell(run, kind, key) for kind, key in columns)
    return cells


def _cell(run: Run, kind: FieldKind, key: str) -> str:
    if kind is FieldKind.METRIC:
        point = run.metrics.get(key)
        return "" if point is None else format_metric(point.value)
    source = run.params if kind is FieldKind.PARAM else run.tags
    return source.get(key, "")


def plain_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    right: Collection[int] = (),
    pad_edge: bool = False,
    widths: Sequence[int] | None = None,
) -> Iterator[str]:
    """Lines of a table as Rich draws ``Table(show_edge=False)`` on a wide enough page, with
    no markup and no measuring through Rich. ``widths`` fixes the columns' widths (longer
    cells then push their row out), so rows can be drawn as they come."""
    if widths is None:
        rows = [list(r) for r in rows]
        widths = [
            max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(headers)
        ]
    last = len(headers) - 1

    def line(cells: Sequence[str], bar: str) -> str:
        padded = []
        for i, cell in enumerate(cells):
            gap = " " * max(0, widths[i] - cell_len(cell))
            padded.append(gap + cell if i in right else cell + gap)
        text = bar.join(padded)
        return f" {text} " if pad_edge else text

    yield line(headers, " ┃ ")
    pad = [2 if pad_edge or 0 < i < last else 1 for i in range(last + 1)]
    if last == 0 and not pad_edge:
        pad = [0]
    yield "╇".join("━" * (w + p) for w, p in zip(widths, pad, strict=True))
    for row in rows:
        yield line(row, " │ ")


def run_panel(detail: RunDetail) -> RenderableType:
    run = detail.run
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column(overflow="fold")
    head.add_row("run", f"{run.id}  [bold]{escape(run.name)}[/]")
    head.add_row("experiment", escape(f"{run.experiment} (project {run.project})"))
    head.add_row("status", status_text(run.status))
    if run.exit_code is not None:
        head.add_row("exit code", str(run.exit_code))
    head.add_row("started", f"{time_text(run.start_time)} UTC by {escape(run.created_by)}")
    head.add_row("ended", f"{time_text(run.end_time)} UTC" if run.end_time else "-")
    usage = run.resources
    head.add_row(
        "resources",
        f"wall {duration_text(usage.wall_seconds)} · cpu {usage.cpu_seconds:.1f} s · "
        f"peak RSS {human_bytes(usage.peak_rss_bytes)}"
        + (f" · gpu {usage.gpu_seconds:.0f} s" if usage.gpu_seconds else ""),
    )
    head.add_row("cost", cost_text(run.cost))
    if run.parent_id:
        head.add_row("parent", run.parent_id)
    if detail.children:
        head.add_row("children", ", ".join(detail.children))
    git = run.git
    if git.commit or git.branch:
        state = "dirty, changes " + (git.diff_digest or "")[:12] if git.dirty else "clean"
        head.add_row(
            "git", escape(f"{(git.commit or 'no commit')[:12]} on {git.branch or '-'} ({state})")
        )
    if run.command:
        head.add_row("command", escape(run.command))
    if run.host:
        head.add_row("host", escape(f"{run.host} (pid {run.pid})"))
    env = detail.environment
    if env:
        head.add_row(
            "environment",
            escape(f"{env['python']} on {env['platform']}, {len(env['packages'])} packages"),
        )
    parts: list[RenderableType] = [head]
    if run.params:
        parts.append(_pairs("params", run.params.items()))
    if run.metrics:
        metrics = Table(title="metrics", title_justify="left", show_edge=False, header_style="bold")
        metrics.add_column("key")
        metrics.add_column("latest", justify="right")
        metrics.add_column("step", justify="right")
        for key, point in run.metrics.items():
            metrics.add_row(escape(key), format_metric(point.value), str(point.step))
        parts.append(metrics)
    if run.tags:
        parts.append(_pairs("tags", run.tags.items()))
    if detail.inputs:
        inputs = Table(title="inputs", title_justify="left", show_edge=False, header_style="bold")
        for name in ("path", "size", "blake3"):
            inputs.add_column(name)
        for item in detail.inputs:
            inputs.add_row(escape(item.path), human_bytes(item.size), item.digest[:16])
        parts.append(inputs)
    if detail.artifacts:
        arts = Table(title="artifacts", title_justify="left", show_edge=False, header_style="bold")
        for name in ("path", "size", "digest"):
            arts.add_column(name)
        for art in detail.artifacts:
            arts.add_row(escape(art.path), human_bytes(art.size), art.digest[:16])
        parts.append(arts)
    return Panel(Group(*parts), expand=False)


def _pairs(title: str, items: object) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    table.add_column("key")
    table.add_column("value", overflow="fold")
    for key, value in items:  # type: ignore[attr-defined]
        table.add_row(escape(key), escape(value))
    return table


def compare_table(runs: Sequence[Run], *, only_differences: bool = False) -> Table:
    """Params, metrics and tags of runs side by side; differing rows highlighted."""
    table = Table(show_header=True, header_style="bold", show_edge=False)
    table.add_column("")
    for run in runs:
        table.add_column(f"{escape(run.name)}\n[dim]{run.id}[/]", justify="right")

    def differ(values: list[str]) -> bool:
        return len(set(values)) > 1

    def add(label: str, values: list[str]) -> None:
        style = "bold yellow" if differ(values) else None
        table.add_row(escape(label), *(escape(v) for v in values), style=style)

    def keep(values: list[str]) -> bool:
        return differ(values) or not only_differences

    for label, values in (
        ("status", [r.status.value for r in runs]),
        ("duration", [duration_text(r.resources.wall_seconds) for r in runs]),
        ("cost", [cost_text(r.cost) for r in runs]),
        ("git commit", [(r.git.commit or "-")[:12] for r in runs]),
    ):
        if keep(values):
            add(label, values)
    sections: list[tuple[str, list[tuple[str, list[str]]]]] = []
    for title, kind in (("params", FieldKind.PARAM), ("metrics", FieldKind.METRIC)):
        keys = sorted(
            {k for r in runs for k in (r.params if kind is FieldKind.PARAM else r.metrics)}
        )
        sections.append((title, [(k, [_plain(r, kind, k) for r in runs]) for k in keys]))
    tag_keys = sorted({k for r in runs for k in r.tags})
    sections.append(("tags", [(k, [r.tags.get(k, "-") for r in runs]) for k in tag_keys]))
    for title, rows in sections:
        shown = [(key, values) for key, values in rows if keep(values)]
        if not shown:
            continue
        table.add_section()
        table.add_row(f"[bold]{title}[/]")
        for key, values in shown:
            add(f"  {key}", values)
    return table


def _plain(run: Run, kind: FieldKind, key: str) -> str:
    if kind is FieldKind.METRIC:
        point = run.metrics.get(key)
        return "-" if point is None else format_metric(point.value)
    return run.params.get(key, "-")


def experiments_table(experiments: Sequence[Experiment]) -> Table:
    table = Table(show_header=True, header_style="bold", show_edge=False)
    table.add_column("experiment")
    table.add_column("runs", justify="right")
    table.add_column("cost", justify="right")
    table.add_column("last run (UTC)")
    for exp in experiments:
        table.add_row(
            escape(exp.name), f"{exp.run_count:,}", cost_text(exp.cost), time_text(exp.last_run_at)
        )
    return table
