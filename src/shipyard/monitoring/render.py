"""A drift report drawn for a terminal with Rich."""

from __future__ import annotations

from typing import cast

from rich.console import Group, JustifyMethod, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shipyard.monitoring.report import DriftReport, FeatureDrift
from shipyard.profiling.render import report_table

__all__ = ["render_report"]

_SEVERITY = {"error": "bold red", "warning": "yellow", "info": "dim"}
_TEST_LABEL = {
    "ks": "KS p-value",
    "chisquare": "chi² p-value",
    "wasserstein": "Wasserstein",
    "psi": "PSI",
    "jensenshannon": "Jensen–Shannon",
}


def _score(value: float) -> str:
    if value != value:  # NaN
        return "–"
    if value != 0 and abs(value) < 1e-4:
        return f"{value:.1e}"
    return f"{value:.4f}"


def _row(table: Table, feature: FeatureDrift, label: str | None = None) -> None:
    verdict = "[bold red]drift[/]" if feature.drifted else "[green]ok[/]"
    comparison = "<" if feature.uses_p_value else "≥"
    nulls = f"{feature.reference_nulls:.0%} → {feature.current_nulls:.0%}"
    table.add_row(
        escape(label or feature.column),
        feature.kind,
        _TEST_LABEL.get(feature.test, feature.test),
        _score(feature.score),
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
        for feature in sorted(report.features, key=lambda f: (not f.drifted, f.column)):
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
    drifted = len(report.drifted_features)
    summary = (
        f"{drifted} of {report.tested} features drifted ({report.share_drifted:.0%}; "
        f"dataset drift at ≥ {report.drift_share:.0%})"
    )
    if report.drift_detected:
        parts.append(Text.from_markup(f"[bold red]Drift detected:[/] {summary}"))
    elif report.tested == 0:
        parts.append(Text.from_markup("[yellow]No feature could be tested[/] (see the findings)"))
    else:
        parts.append(Text.from_markup(f"[green]No dataset drift:[/] {summary}"))
    return Group(*parts)
