"""The promotion gates, one function each: evaluate, never raise, report evidence.

Each check returns :class:`GateResult` rows (``passed`` plus human evidence and
JSON details). A problem while checking (a missing file, a model that does not
load) fails the gate with the problem as evidence: a gate that cannot be
checked is not passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.core.errors import ShipyardError
from shipyard.core.model_ref import ModelRef
from shipyard.registry.entities import ModelVersion
from shipyard.registry.gates.policy import GatePolicy
from shipyard.registry.gates.scoring import LOWER_IS_BETTER

if TYPE_CHECKING:
    from shipyard.context import Context
    from shipyard.models.model_dir.loaded import LoadedModel

__all__ = ["GateInputs", "GateResult", "run_checks"]


@dataclass(frozen=True)
class GateResult:
    gate: str
    check: str
    passed: bool
    evidence: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "check": self.check,
            "passed": self.passed,
            "evidence": self.evidence,
            "details": self.details,
        }


class GateInputs:
    """What the checks read: the candidate, the alias's current version, the policy."""

    def __init__(
        self,
        ctx: Context,
        policy: GatePolicy,
        version: ModelVersion,
        current: int | None,
        *,
        record: bool,
        trusted: bool,
    ) -> None:
        self.ctx = ctx
        self.policy = policy
        self.version = version
        self.current = current
        self.record = record
        """Store the evaluations the gates compute (not in a dry run)."""
        self.trusted = trusted

    @cached_property
    def model(self) -> LoadedModel:
        from shipyard.registry.fetch import load_registered

        return load_registered(self.ctx, self.version.ref, trusted=self.trusted)

    def where(self, path: Path) -> str:
        root = self.ctx.settings.workspace
        try:
            return str(path.relative_to(root)) if root is not None else str(path)
        except ValueError:
            return str(path)


def run_checks(inputs: GateInputs) -> list[GateResult]:
    """Every gate of the policy, in a fixed order (cheap ones first)."""
    policy = inputs.policy
    steps: list[tuple[str, Callable[[GateInputs], list[GateResult]]]] = []
    if policy.signature:
        steps.append(("signature_valid", _signature))
    if policy.card_fields:
        steps.append(("card_complete", _card))
    if policy.metrics:
        steps.append(("metrics", _metrics))
    if policy.validation:
        steps.append(("validation", _validation))
    if policy.beats:
        steps.append(("beats", _beats))
    if policy.latency:
        steps.append(("latency", _latency))
    if policy.approval:
        steps.append(("approval", _approval))
    results: list[GateResult] = []
    for gate, check in steps:
        try:
            results.extend(check(inputs))
        except ShipyardError as exc:
            results.append(GateResult(gate, _label(gate, inputs), False, exc.one_line()))
    return results


def _label(gate: str, inputs: GateInputs) -> str:
    """What a gate checks, in words (for a gate that could not be evaluated)."""
    policy = inputs.policy
    if gate == "beats" and policy.beats is not None:
        spec = policy.beats
        return (
            f"{spec.metric} beats {spec.alias} by ≥ {spec.min_delta:g} on {inputs.where(spec.data)}"
        )
    if gate == "latency" and policy.latency is not None:
        return f"single-row predict p99 < {policy.latency.p99_ms:g} ms"
    if gate == "validation" and policy.validation is not None:
        return f"{inputs.where(policy.validation.suite)} passes"
    return gate.replace("_", " ")


def _signature(inputs: GateInputs) -> list[GateResult]:
    from shipyard.registry.verification import verify_signature

    found = verify_signature(inputs.ctx, inputs.version)
    details = {"fingerprint": found.fingerprint} if found.verified else {}
    check = "signed by a trusted key; files match"
    return [GateResult("signature_valid", check, found.verified, found.evidence, details)]


def _card(inputs: GateInputs) -> list[GateResult]:
    from shipyard.registry.service import RegistryService

    ctx = inputs.ctx
    model = RegistryService(ctx.db).get_model(ctx.principal, ctx.project, inputs.version.name)
    wanted = inputs.policy.card_fields or ()
    missing = [f for f in wanted if not model.card.get(f)]
    check = "card fields: " + ", ".join(wanted)
    if missing:
        hint = f"shipyard models describe {model.name} --{missing[0].replace('_', '-')} …"
        evidence = f"missing: {', '.join(missing)} (fill in with `{hint}`)"
        return [GateResult("card_complete", check, False, evidence, {"missing": missing})]
    return [GateResult("card_complete", check, True, f"all {len(wanted)} fields written")]


def _metrics(inputs: GateInputs) -> list[GateResult]:
    from shipyard.registry.lineage import version_metrics
    from shipyard.registry.service import RegistryService

    ctx = inputs.ctx
    version = inputs.version
    values = version_metrics(ctx, version)
    logged_by = f"run {version.run_id[:10]}…" if version.run_id else "registration"
    source = dict.fromkeys(values, logged_by)
    evaluations = RegistryService(ctx.db).evaluations(
        ctx.principal, ctx.project, version.name, version.version
    )
    for evaluation in evaluations:  # oldest first: the newest evaluation wins
        for key, value in evaluation.metrics.items():
            if source.get(key, "evaluation").startswith("evaluation"):
                values[key] = value
                source[key] = f"evaluation on {evaluation.data_path}"
    results = []
    for threshold in inputs.policy.metrics:
        actual = values.get(threshold.metric)
        if actual is None:
            known = ", ".join(sorted(values)) or "none"
            evidence = f"the version has no metric {threshold.metric!r} (it has: {known})"
            results.append(GateResult("metrics", str(threshold), False, evidence))
            continue
        passed = threshold.holds(actual)
        evidence = f"{threshold.metric} = {actual:.4g} ({source[threshold.metric]})"
        results.append(GateResult("metrics", str(threshold), passed, evidence, {"value": actual}))
    return results


def _validation(inputs: GateInputs) -> list[GateResult]:
    from shipyard.registry.lineage import version_inputs
    from shipyard.tracking.inputs import digest_file
    from shipyard.validate import run as run_suite

    spec = inputs.policy.validation
    assert spec is not None
    if spec.data is not None:
        files = [spec.data]
    else:
        files = []
        for item in version_inputs(inputs.ctx, inputs.version):
            path = Path(str(item["path"]))
            if not path.is_absolute() and inputs.ctx.settings.workspace is not None:
                path = inputs.ctx.settings.workspace / path
            if not path.is_file() or digest_file(path)[1] != item["digest"]:
                check = f"{inputs.where(spec.suite)} on the training data"
                evidence = f"training input {item['path']} is gone or changed since the run"
                return [GateResult("validation", check, False, evidence)]
            files.append(path)
        if not files:
            check = f"{inputs.where(spec.suite)} on the training data"
            evidence = "the version's run logged no input files: name one with validation.data"
            return [GateResult("validation", check, False, evidence)]
    results = []
    for path in files:
        outcome = run_suite(spec.suite, path)
        check = f"{inputs.where(spec.suite)} on {inputs.where(path)}"
        if outcome.passed:
            evidence = f"{outcome.rows:,} rows, {outcome.checked_columns} columns: no failures"
        else:
            first = outcome.failures[0].to_dict()
            evidence = (
                f"{len(outcome.failures)} rule(s) failed, first: "
                f"{first.get('column') or 'table'} {first.get('rule')}"
            )
        # Counts and rule names only: the evaluation is kept forever (alias events, audit
        # log), and failure examples are rows of data.
        details = {
            "rows": outcome.rows,
            "checked_columns": outcome.checked_columns,
            "failures": [
                {k: v for k, v in f.to_dict().items() if k != "examples"}
                for f in outcome.failures[:50]
            ],
        }
        results.append(GateResult("validation", check, outcome.passed, evidence, details))
    return results


def _beats(inputs: GateInputs) -> list[GateResult]:
    from shipyard.registry.fetch import load_registered
    from shipyard.registry.gates.scoring import read_labelled, score_model
    from shipyard.registry.service import RegistryService

    spec = inputs.policy.beats
    assert spec is not None
    ctx = inputs.ctx
    version = inputs.version
    check = f"{spec.metric} beats {spec.alias} by ≥ {spec.min_delta:g} on {inputs.where(spec.data)}"
    champion = RegistryService(ctx.db).alias_version(ctx.principal, ctx.project, version.name,
                                                     spec.alias)  # fmt: skip
    if champion is None:
        return [
            GateResult("beats", check, True, f"no current {spec.alias} version: nothing to beat")
        ]
    if champion == version.version:
        return [GateResult("beats", check, True, f"version {champion} is the {spec.alias} version")]
    data = read_labelled(spec.data, spec.target, label=inputs.where(spec.data))
    mine = score_model(inputs.model, data, [spec.metric]).metrics[spec.metric]
    theirs_model = load_registered(
        ctx, ModelRef(version.name, version=champion), trusted=inputs.trusted
    )
    theirs = score_model(theirs_model, data, [spec.metric]).metrics[spec.metric]
    lower = spec.metric in LOWER_IS_BETTER
    gain = theirs - mine if lower else mine - theirs
    passed = gain >= spec.min_delta
    evidence = (
        f"{spec.metric} {mine:.4f} vs {theirs:.4f} for v{champion} on {data.rows:,} rows: "
        f"{'better' if gain >= 0 else 'worse'} by {abs(gain):.4f}"
    )
    if inputs.record:
        service = RegistryService(ctx.db)
        for number, value in ((version.version, mine), (champion, theirs)):
            service.record_evaluation(
                ctx.principal, ctx.project, version.name, number,
                data_path=data.path, data_digest=data.digest, rows=data.rows,
                target=data.target, metrics={spec.metric: value}, source="gate",
            )  # fmt: skip
    details = {
        "candidate": mine,
        "champion": theirs,
        "champion_version": champion,
        "data": data.path,
        "data_digest": data.digest,
        "rows": data.rows,
    }
    return [GateResult("beats", check, passed, evidence, details)]


def _latency(inputs: GateInputs) -> list[GateResult]:
    import numpy as np

    spec = inputs.policy.latency
    assert spec is not None
    check = _label("latency", inputs)
    model = inputs.model
    example = model.input_example()
    if example is None:
        evidence = "the version has no stored input example to time a prediction with"
        return [GateResult("latency", check, False, evidence)]
    row = example.iloc[:1] if hasattr(example, "iloc") else _first_row(example)
    for _ in range(min(20, spec.runs)):  # warm-up: caches, lazy initialisation
        model.predict(row)
    timings = np.empty(spec.runs)
    for i in range(spec.runs):
        started = time.perf_counter()
        model.predict(row)
        timings[i] = (time.perf_counter() - started) * 1000.0
    p50, p99 = (float(v) for v in np.percentile(timings, [50, 99]))
    passed = p99 < spec.p99_ms
    evidence = f"p99 {p99:.3f} ms, p50 {p50:.3f} ms over {spec.runs} predictions"
    details = {"p50_ms": p50, "p99_ms": p99, "runs": spec.runs, "limit_ms": spec.p99_ms}
    return [GateResult("latency", check, passed, evidence, details)]


def _first_row(example: Any) -> Any:
    if isinstance(example, dict):
        return {k: v[:1] for k, v in example.items()}
    return example[:1]


def _approval(inputs: GateInputs) -> list[GateResult]:
    from shipyard.registry.aliases import AliasService

    spec = inputs.policy.approval
    assert spec is not None
    ctx = inputs.ctx
    version = inputs.version
    approvals = [
        a
        for a in AliasService(ctx.db).approvals(
            ctx.principal, ctx.project, version.name, version.version, inputs.policy.alias
        )
        if a.role in ("maintainer", "admin")
    ]
    check = f"{spec.count} maintainer approval(s) for {inputs.policy.alias}"
    if len(approvals) < spec.count:
        hint = (
            f"shipyard models approve {version.name} {version.version} --for {inputs.policy.alias}"
        )
        have = ", ".join(a.principal for a in approvals) or "none"
        evidence = f"{len(approvals)} of {spec.count} (have: {have}; a maintainer runs `{hint}`)"
        return [GateResult("approval", check, False, evidence)]
    names = ", ".join(f"{a.principal} ({a.time:%Y-%m-%d %H:%M})" for a in approvals)
    return [GateResult("approval", check, True, f"approved by {names}",
                       {"approvals": [a.to_dict() for a in approvals]})]  # fmt: skip
