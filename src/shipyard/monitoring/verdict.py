"""A drift report's verdict in words, the same on a terminal, in HTML and in alerts.

Drift is decided by the drifted share of features, by the domain classifier
or by the prediction; the words name which one decided, so a report never
reads "1 of 11 features drifted (9%; dataset drift at ≥ 50%)" under
"Drift detected" without saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.monitoring.report import DriftReport, Verdict

__all__ = ["VerdictText", "describe", "score_text"]

SHORT_TEST_LABELS = {
    "ks": "KS p-value",
    "chisquare": "chi² p-value",
    "wasserstein": "Wasserstein",
    "psi": "PSI",
    "jensenshannon": "Jensen–Shannon",
}


@dataclass(frozen=True)
class VerdictText:
    verdict: Verdict
    headline: str
    """``Drift detected by the domain classifier (ROC AUC 0.912 ≥ 0.55)``, ``No dataset drift``…"""
    detail: str
    """The feature count behind it, or what is missing."""


def score_text(value: float) -> str:
    if value != value:  # NaN
        return "–"
    if value != 0 and abs(value) < 1e-4:
        return f"{value:.1e}"
    return f"{value:.4f}"


def _cause(report: DriftReport, cause: str) -> str:
    if cause == "share":
        return "the share of drifted features"
    mv = report.multivariate
    if cause == "domain_classifier" and mv is not None and mv.roc_auc is not None:
        return f"the domain classifier (ROC AUC {mv.roc_auc:.3f} ≥ {mv.threshold:g})"
    p = report.prediction
    if cause == "prediction" and p is not None:
        sign = "<" if p.uses_p_value else "≥"
        label = SHORT_TEST_LABELS.get(p.test, p.test)
        return f"the prediction {p.column} ({label} {score_text(p.score)} {sign} {p.threshold:g})"
    return cause.replace("_", " ")


def describe(report: DriftReport) -> VerdictText:
    """The verdict, what decided it and the features behind it, as plain text."""
    verdict = report.verdict
    drifted, tested = len(report.drifted_features), report.tested
    short = len(report.short_of_data)
    without = f"; {short} without enough data" if short else ""
    share = f"{report.share_drifted:.0%}"
    if "share" in report.causes:
        detail = f"{drifted} of {tested} features drifted ({share} ≥ {report.drift_share:.0%}"
    else:
        detail = (
            f"{drifted} of {tested} features drifted ({share}; the share alone means dataset "
            f"drift at ≥ {report.drift_share:.0%}"
        )
    detail += without + ")"
    if verdict == "drift":
        causes = " and ".join(_cause(report, c) for c in report.causes)
        return VerdictText(verdict, f"Drift detected by {causes}", detail)
    if verdict == "not_enough_data":
        least = report.options.get("min_sample", "enough")
        return VerdictText(
            verdict,
            "Not enough data for a drift verdict",
            f"every feature has fewer than {least} values on a side "
            f"(reference {report.reference.rows:,} rows, current {report.current.rows:,} rows)",
        )
    if verdict == "untested":
        return VerdictText(verdict, "No feature could be tested", "see the findings")
    return VerdictText(verdict, "No dataset drift", detail)
