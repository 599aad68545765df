"""A live monitor's result drawn for a terminal with Rich."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shipyard.monitoring.live.performance import LOWER_IS_BETTER
from shipyard.monitoring.live.result import MonitorResult
from shipyard.monitoring.live.results_store import StoredResult
from shipyard.monitoring.render import render_report
from shipyard.profiling.render import report_table

__all__ = ["render_monitor", "render_status"]

_SEVERITY = {"error": "bold red", "warning": "yellow", "info": "dim"}


def _table(*columns: str) -> Table:
    table = report_table()
    for name in columns:
        table.add_column(
            name, justify="right" if name in ("window", "training", "rows") else "left"
        )
    return table


def render_monitor(result: MonitorResult) -> RenderableType:
    window = f"{result.window_start:%Y-%m-%d %H:%M} – {result.window_end:%Y-%m-%d %H:%M} UTC"
    parts: list[RenderableType] = [
        Text.assemble(
            ("monitor ", "dim"),
            (result.monitor, "bold"),
            ("  model ", "dim"),
            (result.model, "bold"),
            ("  window ", "dim"),
            window,
            f"  {result.rows:,} rows ({result.labelled_rows:,} labelled)",
        )
    ]
    if result.versions:
        shown = ", ".join(f"{v} ({n:,})" for v, n in result.versions.items())
        parts.append(Text.from_markup(f"[dim]versions[/] {escape(shown)}"))
    if result.drift is not None:
        parts.append(render_report(result.drift))
    if result.validation is not None:
        failures = result.validation.get("failures", [])
        if failures:
            table = _table("column", "rule", "expected", "failing")
            for f in failures:
                table.add_row(escape(f["column"] or "(table)"), f["rule"], escape(f["expected"]),
                              f"{f['failing']:,}")  # fmt: skip
            parts.append(table)
        else:
            parts.append(Text.from_markup(
                f"[green]✓[/] live traffic passes suite {escape(result.validation['suite'])}"
            ))  # fmt: skip
    perf = result.performance
    if perf is not None and perf.metrics:
        table = _table("metric", "window", "training", "verdict")
        for name, value in perf.metrics.items():
            baseline = perf.baseline.get(name)
            if name in perf.decayed:
                verdict = "[bold red]decayed[/]"
            elif baseline is not None:
                verdict = "[green]ok[/]"
            else:
                verdict = ""
            arrow = " (lower is better)" if name in LOWER_IS_BETTER else ""
            table.add_row(name + arrow, f"{value:.4f}",
                          "–" if baseline is None else f"{baseline:.4f}", verdict)  # fmt: skip
        parts.append(table)
    for finding in result.findings:
        style = _SEVERITY.get(finding.severity, "")
        parts.append(Text.from_markup(f"[{style}]{finding.severity}:[/] {escape(finding.message)}"))
    if result.breaches:
        for breach in result.breaches:
            parts.append(
                Text.from_markup(f"[bold red]breach ({breach.kind}):[/] {escape(breach.message)}")
            )
    elif result.rows == 0:
        parts.append(Text.from_markup("[yellow]No traffic in the window.[/]"))
    elif result.status == "not_enough_data":
        parts.append(Text.from_markup(
            "[yellow]Too little traffic for a drift verdict[/] (--min-sample); "
            "nothing else crossed a threshold."
        ))  # fmt: skip
    else:
        parts.append(Text.from_markup("[green]All within thresholds.[/]"))
    return Group(*parts)


def render_status(results: list[StoredResult]) -> RenderableType:
    table = _table("monitor", "model", "last run (UTC)", "rows", "status", "breaches")
    for r in results:
        status = {"breach": "[bold red]breach[/]", "ok": "[green]ok[/]"}.get(
            r.status, f"[yellow]{r.status}[/]"
        )
        table.add_row(escape(r.monitor), escape(r.model), f"{r.created_at:%Y-%m-%d %H:%M}",
                      f"{r.rows:,}", status, escape(", ".join(r.breaches)))  # fmt: skip
    return table
