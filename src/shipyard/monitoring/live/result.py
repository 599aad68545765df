"""The result of one live monitor run: drift, validation, performance, breaches, findings.

``MonitorResult.to_dict()`` is the versioned JSON document
(``"type": "shipyard.monitor_result"``) that ``--json`` writes, that is
stored in the object store for every run, and that webhooks and the HTML
page are made from. :meth:`MonitorResult.gauges` is the small summary the
``monitor_results`` table keeps for Prometheus.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from shipyard.core.errors import InvalidInput
from shipyard.monitoring.live.performance import LOWER_IS_BETTER, Performance
from shipyard.monitoring.report import DriftReport, Finding

__all__ = ["BREACH_KINDS", "RESULT_TYPE", "RESULT_VERSION", "Breach", "MonitorResult"]

RESULT_TYPE = "shipyard.monitor_result"
RESULT_VERSION = 1
#: Every kind of breach, in the order they are reported.
BREACH_KINDS = ("drift", "prediction_drift", "validation", "performance", "no_traffic")

#: ``not_enough_data``: traffic, but too little for any drift verdict (and no breach).
Status = Literal["ok", "breach", "no_data", "not_enough_data"]


@dataclass(frozen=True)
class Breach:
    kind: str
    message: str


@dataclass
class MonitorResult:
    monitor: str
    model: str
    window_start: datetime
    window_end: datetime
    bucket_seconds: float
    rows: int
    reference: str | None = None
    versions: dict[str, int] = field(default_factory=dict)
    traffic: list[dict[str, Any]] = field(default_factory=list)
    drift: DriftReport | None = None
    validation: dict[str, Any] | None = None
    performance: Performance | None = None
    breaches: list[Breach] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    created_at: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)
    """Earlier runs' gauges (newest last), for plots; not stored with the result."""

    @property
    def status(self) -> Status:
        if self.breaches:
            return "breach"
        if self.rows == 0:
            return "no_data"
        if self.drift is not None and self.drift.verdict == "not_enough_data":
            return "not_enough_data"
        return "ok"

    @property
    def breach_kinds(self) -> list[str]:
        return [b.kind for b in self.breaches]

    @property
    def labelled_rows(self) -> int:
        return self.performance.labelled_rows if self.performance else 0

    @property
    def validation_failures(self) -> int:
        return len(self.validation.get("failures", [])) if self.validation else 0

    def gauges(self) -> dict[str, Any]:
        """What Prometheus exports for this run (kept in the ``monitor_results`` row)."""
        drift = self.drift
        features = {}
        prediction = None
        if drift is not None:
            for f in drift.features:
                features[f.column] = {
                    "score": f.score,
                    "threshold": f.threshold,
                    "drifted": f.drifted if f.enough_data else None,
                    "test": f.test,
                }
            if drift.prediction is not None:
                p = drift.prediction
                prediction = {"score": p.score, "drifted": p.drifted if p.enough_data else None,
                              "test": p.test}  # fmt: skip
        known = drift if drift is not None and drift.verdict != "not_enough_data" else None
        perf = self.performance
        return {
            "rows": self.rows,
            "labelled_rows": self.labelled_rows,
            "features": features,
            "prediction": prediction,
            "share_drifted": known.share_drifted if known else None,
            "dataset_drift": known.dataset_drift if known else None,
            "drift_verdict": drift.verdict if drift else None,
            "validation_failures": self.validation_failures if self.validation else None,
            "validation_failing_values": (
                sum(int(f.get("failing", 0)) for f in self.validation.get("failures", []))
                if self.validation
                else None
            ),
            "performance": dict(perf.metrics) if perf else {},
            "baseline": dict(perf.baseline) if perf else {},
            # what the UI draws under each metric's line: the limit, and which have passed it
            "limits": dict(perf.limits) if perf else {},
            "decayed": sorted(perf.decayed) if perf else [],
            "lower_is_better": sorted(m for m in perf.limits if m in LOWER_IS_BETTER)
            if perf
            else [],
            "breaches": {kind: kind in self.breach_kinds for kind in BREACH_KINDS},
            "window_seconds": (self.window_end - self.window_start).total_seconds(),
            "window_end": self.window_end.timestamp(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": RESULT_TYPE,
            "version": RESULT_VERSION,
            "created_at": self.created_at,
            "monitor": self.monitor,
            "model": self.model,
            "status": self.status,
            "window": {
                "start": self.window_start.isoformat(),
                "end": self.window_end.isoformat(),
                "bucket_seconds": self.bucket_seconds,
            },
            "reference": self.reference,
            "rows": self.rows,
            "labelled_rows": self.labelled_rows,
            "versions": self.versions,
            "traffic": self.traffic,
            "breaches": [asdict(b) for b in self.breaches],
            "findings": [asdict(f) for f in self.findings],
            "drift": self.drift.to_dict() if self.drift else None,
            "validation": self.validation,
            "performance": self.performance.to_dict() if self.performance else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> MonitorResult:
        if not isinstance(data, dict) or data.get("type") != RESULT_TYPE:
            raise InvalidInput(f'not a Shipyard monitor result (expected "type": {RESULT_TYPE!r})')
        if data.get("version") != RESULT_VERSION:
            raise InvalidInput(f"unsupported monitor result version {data.get('version')!r}")
        try:
            window = data["window"]
            drift, perf = data.get("drift"), data.get("performance")
            return cls(
                monitor=str(data["monitor"]),
                model=str(data["model"]),
                window_start=datetime.fromisoformat(window["start"]),
                window_end=datetime.fromisoformat(window["end"]),
                bucket_seconds=float(window["bucket_seconds"]),
                rows=int(data["rows"]),
                reference=data.get("reference"),
                versions={str(k): int(v) for k, v in (data.get("versions") or {}).items()},
                traffic=list(data.get("traffic") or []),
                drift=DriftReport.from_dict(drift) if drift else None,
                validation=data.get("validation"),
                performance=Performance.from_dict(perf) if perf else None,
                breaches=[Breach(**b) for b in data.get("breaches") or []],
                findings=[Finding(**f) for f in data.get("findings") or []],
                created_at=str(data.get("created_at") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"malformed monitor result: {exc}") from exc
