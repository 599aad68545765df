"""The drift report: per-feature results, dataset-level verdicts and findings.

``DriftReport.to_dict()`` is the stable, versioned JSON form
(``"type": "shipyard.drift_report"``) that the CLI writes with ``--json`` and
that later consumers (Prometheus gauges, alerts, webhooks) read: every
feature carries ``score``, ``threshold``, ``verdict`` and ``drifted``; the
dataset carries ``verdict``, ``decided_by``, ``share_drifted`` and
``dataset_drift``. With too few values for a verdict (``min_sample``),
``verdict`` is ``"not_enough_data"`` and ``drifted``/``dataset_drift`` are null.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from shipyard.core.errors import InvalidInput

__all__ = [
    "CAUSES",
    "REPORT_TYPE",
    "REPORT_VERSION",
    "DataSummary",
    "DriftReport",
    "FeatureDrift",
    "Finding",
    "MultivariateResult",
    "Verdict",
]

REPORT_TYPE = "shipyard.drift_report"
REPORT_VERSION = 1

Severity = Literal["info", "warning", "error"]
#: A feature's or a dataset's answer; ``untested``: no feature could be compared at all.
Verdict = Literal["drift", "no_drift", "not_enough_data", "untested"]
#: What can decide dataset drift, in the order they are reported.
CAUSES = ("share", "domain_classifier", "prediction")


@dataclass(frozen=True)
class Finding:
    """Something about the data worth knowing, that did not stop the report.

    ``code`` is stable (``empty_current``, ``missing_column``, ``new_column``,
    ``all_null``, ``type_mismatch``, ``unseen_categories``, ``null_increase``,
    ``not_tested``, ``not_enough_data``, ``multivariate_skipped``); ``message`` is for
    people.
    """

    severity: Severity
    code: str
    message: str
    column: str | None = None


@dataclass(frozen=True)
class DataSummary:
    label: str
    rows: int
    columns: int


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's test. ``score`` is the p-value for p-value tests, else the distance."""

    column: str
    kind: str
    test: str
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool
    reference_rows: int
    current_rows: int
    reference_nulls: float
    current_nulls: float
    #: ``{"edges": […]} or {"labels": […]}`` plus ``reference``/``current`` shares, for plots.
    histogram: dict[str, Any] = field(default_factory=dict)
    role: Literal["feature", "prediction"] = "feature"
    enough_data: bool = True
    """False when a side had fewer values than ``min_sample``: the test ran, no verdict."""

    @property
    def score(self) -> float:
        return self.p_value if self.p_value is not None else self.statistic

    @property
    def uses_p_value(self) -> bool:
        return self.p_value is not None

    @property
    def verdict(self) -> Verdict:
        if not self.enough_data:
            return "not_enough_data"
        return "drift" if self.drifted else "no_drift"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["score"] = self.score
        out["verdict"] = self.verdict
        if not self.enough_data:
            out["drifted"] = None
        return out


@dataclass(frozen=True)
class MultivariateResult:
    """The domain classifier: how well a model tells current rows from reference rows."""

    ran: bool
    roc_auc: float | None = None
    p_value: float | None = None
    threshold: float = 0.55
    drifted: bool = False
    reference_rows: int = 0
    current_rows: int = 0
    top_features: list[tuple[str, float]] = field(default_factory=list)
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["top_features"] = [[name, value] for name, value in self.top_features]
        return out


@dataclass(frozen=True)
class DriftReport:
    reference: DataSummary
    current: DataSummary
    features: list[FeatureDrift]
    drift_share: float
    multivariate: MultivariateResult | None = None
    prediction: FeatureDrift | None = None
    findings: list[Finding] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""

    @property
    def tested(self) -> int:
        """Features with a verdict (enough values on both sides)."""
        return sum(1 for f in self.features if f.enough_data)

    @property
    def short_of_data(self) -> list[FeatureDrift]:
        """Features compared on too few values to have a verdict."""
        return [f for f in self.features if not f.enough_data]

    @property
    def drifted_features(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.drifted and f.enough_data]

    @property
    def share_drifted(self) -> float:
        return len(self.drifted_features) / self.tested if self.tested else 0.0

    @property
    def causes(self) -> list[str]:
        """What found drift, from :data:`CAUSES`: the drifted share of features, the domain
        classifier, the prediction; empty when nothing did."""
        found = []
        if self.tested > 0 and self.share_drifted >= self.drift_share:
            found.append("share")
        if self.multivariate is not None and self.multivariate.drifted:
            found.append("domain_classifier")
        p = self.prediction
        if p is not None and p.drifted and p.enough_data:
            found.append("prediction")
        return found

    @property
    def dataset_drift(self) -> bool:
        """Share of drifted features ≥ ``drift_share``, or the domain classifier found drift."""
        return bool({"share", "domain_classifier"} & set(self.causes))

    @property
    def drift_detected(self) -> bool:
        """Dataset drift or prediction drift: what ``monitor drift`` exits 1 for."""
        return bool(self.causes)

    @property
    def verdict(self) -> Verdict:
        """``not_enough_data`` when nothing found drift and every feature compared (and the
        prediction) had too few values for a verdict."""
        if self.causes:
            return "drift"
        if self.tested > 0:
            return "no_drift"
        compared = [*self.features, *([self.prediction] if self.prediction else [])]
        if compared and not any(f.enough_data for f in compared):
            return "not_enough_data"
        return "no_drift" if self.prediction is not None else "untested"

    def feature(self, name: str) -> FeatureDrift | None:
        return next((f for f in self.features if f.column == name), None)

    def to_dict(self) -> dict[str, Any]:
        verdict = self.verdict
        unknown = verdict == "not_enough_data"
        return {
            "type": REPORT_TYPE,
            "version": REPORT_VERSION,
            "created_at": self.created_at,
            "reference": asdict(self.reference),
            "current": asdict(self.current),
            "verdict": verdict,
            "decided_by": self.causes,
            "dataset_drift": None if unknown else self.dataset_drift,
            "drift_detected": None if unknown else self.drift_detected,
            "share_drifted": None if unknown else self.share_drifted,
            "drift_share": self.drift_share,
            "tested": self.tested,
            "not_enough_data": [f.column for f in self.short_of_data],
            "drifted": [f.column for f in self.drifted_features],
            "features": [f.to_dict() for f in self.features],
            "prediction": self.prediction.to_dict() if self.prediction else None,
            "multivariate": self.multivariate.to_dict() if self.multivariate else None,
            "findings": [asdict(f) for f in self.findings],
            "options": self.options,
        }

    @classmethod
    def from_dict(cls, data: Any) -> DriftReport:
        """Read a report written by :meth:`to_dict` (derived fields are recomputed)."""
        if not isinstance(data, dict) or data.get("type") != REPORT_TYPE:
            raise InvalidInput(f'not a Shipyard drift report (expected "type": {REPORT_TYPE!r})')
        if data.get("version") != REPORT_VERSION:
            raise InvalidInput(f"unsupported drift report version {data.get('version')!r}")
        try:
            multivariate = data.get("multivariate")
            prediction = data.get("prediction")
            return cls(
                reference=DataSummary(**data["reference"]),
                current=DataSummary(**data["current"]),
                features=[_feature(f) for f in data["features"]],
                drift_share=float(data["drift_share"]),
                multivariate=_multivariate(multivariate) if multivariate else None,
                prediction=_feature(prediction) if prediction else None,
                findings=[Finding(**f) for f in data["findings"]],
                options=dict(data.get("options") or {}),
                created_at=str(data.get("created_at") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"malformed drift report: {exc}") from exc


def _feature(data: dict[str, Any]) -> FeatureDrift:
    fields = {k: v for k, v in data.items() if k not in ("score", "verdict")}
    fields["drifted"] = bool(fields.get("drifted"))  # null: not enough data
    return FeatureDrift(**fields)


def _multivariate(data: dict[str, Any]) -> MultivariateResult:
    fields = dict(data)
    fields["top_features"] = [(str(n), float(v)) for n, v in fields.get("top_features", [])]
    return MultivariateResult(**fields)
