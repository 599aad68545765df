"""The drift report: per-feature results, dataset-level verdicts and findings.

``DriftReport.to_dict()`` is the stable, versioned JSON form
(``"type": "shipyard.drift_report"``) that the CLI writes with ``--json`` and
that later consumers (Prometheus gauges, alerts, webhooks) read: every
feature carries ``score``, ``threshold`` and ``drifted``; the dataset carries
``share_drifted`` and ``dataset_drift``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from shipyard.core.errors import InvalidInput

__all__ = [
    "REPORT_TYPE",
    "REPORT_VERSION",
    "DataSummary",
    "DriftReport",
    "FeatureDrift",
    "Finding",
    "MultivariateResult",
]

REPORT_TYPE = "shipyard.drift_report"
REPORT_VERSION = 1

Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class Finding:
    """Something about the data worth knowing, that did not stop the report.

    ``code`` is stable (``empty_current``, ``missing_column``, ``new_column``,
    ``all_null``, ``type_mismatch``, ``unseen_categories``, ``null_increase``,
    ``not_tested``, ``multivariate_skipped``); ``message`` is for people.
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

    @property
    def score(self) -> float:
        return self.p_value if self.p_value is not None else self.statistic

    @property
    def uses_p_value(self) -> bool:
        return self.p_value is not None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["score"] = self.score
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
        return len(self.features)

    @property
    def drifted_features(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.drifted]

    @property
    def share_drifted(self) -> float:
        return len(self.drifted_features) / self.tested if self.tested else 0.0

    @property
    def dataset_drift(self) -> bool:
        """Share of drifted features ≥ ``drift_share``, or the domain classifier found drift."""
        by_share = self.tested > 0 and self.share_drifted >= self.drift_share
        return by_share or bool(self.multivariate and self.multivariate.drifted)

    @property
    def drift_detected(self) -> bool:
        """Dataset drift or prediction drift: what ``monitor drift`` exits 1 for."""
        return self.dataset_drift or bool(self.prediction and self.prediction.drifted)

    def feature(self, name: str) -> FeatureDrift | None:
        return next((f for f in self.features if f.column == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": REPORT_TYPE,
            "version": REPORT_VERSION,
            "created_at": self.created_at,
            "reference": asdict(self.reference),
            "current": asdict(self.current),
            "dataset_drift": self.dataset_drift,
            "drift_detected": self.drift_detected,
            "share_drifted": self.share_drifted,
            "drift_share": self.drift_share,
            "tested": self.tested,
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
    fields = {k: v for k, v in data.items() if k != "score"}
    return FeatureDrift(**fields)


def _multivariate(data: dict[str, Any]) -> MultivariateResult:
    fields = dict(data)
    fields["top_features"] = [(str(n), float(v)) for n, v in fields.get("top_features", [])]
    return MultivariateResult(**fields)
