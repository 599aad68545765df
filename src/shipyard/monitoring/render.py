"""A drift report drawn for a terminal with Rich."""

from __future__ import annotations

from typing import cast

from rich.console import Group, JustifyMethod, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shipyard.monitoring.report import DriftReport, FeatureDrift
from shipyard.monitoring.verdict import SHORT_TEST_LABELS, describe, score_text
from shipyard.profiling.render import report_table

__all__ = ["render_report"]

_SEVERITY = {"error": "bold red", "warning": "yellow", "info": "dim"}
_VERDICT_STYLE = {"drift": "bold red", "not_enough_data": "yellow", "untested": "yellow"}


def _row(table: Table, feature: FeatureDrift, label: str | None = None) -> None:
    verdict = {"drift": "[bold red]drift[/]", "no_drift": "[green]ok[/]"}.get(
        feature.verdict, "[yellow]not enough data[/]"
    )
    comparison = "<" if feature.uses_p_value else "≥"
    nulls = f"{feature.reference_nulls:.0%} → {feature.current_nulls:.0%}"
    table.add_row(
        escape(label or feature.column),
        feature.kind,
        SHORT_TEST_LABELS.get(feature.test, feature.test),
        score_text(feature.score),
        f"{comparison} {feature.threshold:g}",
        nulls,
        verdict,
    )


def render_report(report: DriftReport) -> RenderableType:
    parts: list[RenderableType] = [
        Text.assemble(
            ("reference ", "dim"),
            (report.reference.label, "bold"),
            f" ({report.reference.rows:,} rows)  ",
            ("current ", "dim"),
            (report.current.label, "bold"),
            f" ({report.current.rows:,} rows)",
        )
    ]
    if report.features or report.prediction:
        table = report_table()
        for name, justify in (
            ("feature", "left"),
            ("type", "left"),
            ("test", "left"),
            ("score", "right"),
            ("drift if", "right"),
            ("nulls", "right"),
            ("verdict", "left"),
        ):
            table.add_column(
                name,
                justify=cast(JustifyMethod, justify),
                overflow="fold",
                no_wrap=name in ("type", "test", "score", "verdict"),
            )
        for feature in sorted(report.features, key=lambda f: (f.verdict != "drift", f.column)):
            _row(table, feature)
        if report.prediction is not None:
            table.add_section()
            _row(table, report.prediction, f"{report.prediction.column} (prediction)")
        parts.append(table)
    mv = report.multivariate
    if mv is not None and mv.ran and mv.roc_auc is not None:
        verdict = "[bold red]drift[/]" if mv.drifted else "[green]ok[/]"
        line = (
            f"Domain classifier: ROC AUC {mv.roc_auc:.3f} (drift if ≥ {mv.threshold:g} and "
            f"p < 0.05; p = {mv.p_value:.2g}) on {mv.reference_rows:,} + {mv.current_rows:,} "
            f"sampled rows: {verdict}"
        )
        if mv.top_features:
            line += "\n  gives it away: " + ", ".join(
                f"{escape(name)} ({value:.3f})" for name, value in mv.top_features
            )
        parts.append(Text.from_markup(line))
    for finding in report.findings:
        style = _SEVERITY.get(finding.severity, "")
        parts.append(Text.from_markup(f"[{style}]{finding.severity}:[/] {escape(finding.message)}"))
    said = describe(report)
    style = _VERDICT_STYLE.get(said.verdict, "green")
    parts.append(Text.assemble((f"{said.headline}:", style), f" {said.detail}"))
    return Group(*parts)
