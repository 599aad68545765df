"""The drift report as one self-contained HTML page (inline CSS and SVG, no JavaScript).

The page holds summaries only — scores, shares per bin or category — so its
size depends on the number of features, not on the number of rows.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from shipyard.monitoring.report import DriftReport
from shipyard.monitoring.svg import CURRENT_COLOUR, REFERENCE_COLOUR, histogram_svg, score_bar_svg
from shipyard.monitoring.verdict import describe
from shipyard.profiling.files import write_text_atomic

__all__ = ["render_html", "template_environment", "write_html"]

_TEST_LABEL = {
    "ks": "Kolmogorov–Smirnov (p-value)",
    "chisquare": "chi-square (p-value)",
    "wasserstein": "Wasserstein distance (normed)",
    "psi": "population stability index",
    "jensenshannon": "Jensen–Shannon distance",
}


def template_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("shipyard.monitoring", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        histogram_svg=histogram_svg,
        score_bar_svg=score_bar_svg,
        test_label=lambda name: _TEST_LABEL.get(name, name),
        describe_verdict=describe,
        reference_colour=REFERENCE_COLOUR,
        current_colour=CURRENT_COLOUR,
    )
    env.filters["score"] = lambda v: (
        "–" if v != v else (f"{v:.1e}" if v and abs(v) < 1e-4 else f"{v:.4f}")
    )
    env.filters["pct"] = lambda v: f"{v:.1%}"
    return env


def render_html(report: DriftReport) -> str:
    template = template_environment().get_template("drift.html.j2")
    features = sorted(report.features, key=lambda f: (f.verdict != "drift", f.column))
    plotted = [f for f in features if f.verdict == "drift"]
    if report.prediction is not None:
        plotted.append(report.prediction)
    return template.render(report=report, features=features, plotted=plotted)


def write_html(report: DriftReport, path: Path) -> None:
    write_text_atomic(path, render_html(report))
