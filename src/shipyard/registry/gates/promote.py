"""Promotion: evaluate every gate of an alias's policy, then move the alias only if all pass.

The evaluation (policy, each gate's result and evidence, who and when) is
stored with the alias event, so ``alias history`` shows why a version went
live. A refused promotion leaves the alias where it was and is audited with
its evaluation. A dry run evaluates and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shipyard.core.model_ref import ModelRef, check_alias
from shipyard.core.principal import Role
from shipyard.registry.entities import AliasEvent, ModelVersion
from shipyard.registry.gates.checks import GateInputs, GateResult, run_checks
from shipyard.registry.gates.policy import load_policy
from shipyard.store.base import utcnow

if TYPE_CHECKING:
    from shipyard.context import Context

__all__ = ["Promotion", "evaluate_gates", "promote"]


@dataclass(frozen=True)
class Promotion:
    """What ``promote`` found and did."""

    name: str
    version: int
    alias: str
    previous: int | None
    results: list[GateResult] = field(default_factory=list)
    dry_run: bool = False
    event: AliasEvent | None = None
    already: bool = False
    """The alias pointed at this version already: nothing was evaluated or moved."""
    gates_configured: bool = True

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def moved(self) -> bool:
        return self.event is not None

    @property
    def failed(self) -> list[GateResult]:
        return [r for r in self.results if not r.passed]

    def evaluation(self) -> dict[str, Any]:
        return {
            "type": "shipyard.gate_evaluation",
            "version": 1,
            "model": self.name,
            "candidate": self.version,
            "alias": self.alias,
            "previous": self.previous,
            "passed": self.passed,
            "gates": [r.to_dict() for r in self.results],
        }

    def to_dict(self) -> dict[str, Any]:
        return self.evaluation() | {
            "dry_run": self.dry_run,
            "moved": self.moved,
            "already": self.already,
            "gates_configured": self.gates_configured,
            "event": self.event.to_dict() if self.event is not None else None,
        }


def evaluate_gates(
    ctx: Context,
    version: ModelVersion,
    alias: str,
    *,
    current: int | None,
    record: bool,
    trusted: bool = False,
) -> tuple[list[GateResult], bool]:
    """Results of every gate of ``alias``'s policy for ``version``; and whether any is set."""
    policy = load_policy(ctx, alias)
    if policy.empty:
        return [], False
    inputs = GateInputs(ctx, policy, version, current, record=record, trusted=trusted)
    return run_checks(inputs), True


def promote(
    ctx: Context,
    ref: ModelRef,
    alias: str,
    *,
    dry_run: bool = False,
    reason: str = "",
    trusted: bool = False,
) -> Promotion:
    """Evaluate ``alias``'s gates for the version ``ref`` names; move the alias if all pass.

    Needs the maintainer role (a dry run: the viewer role). Raises
    :class:`NotFound` for an unknown model or version, :class:`InvalidInput`
    for a reserved alias, :class:`ConfigError` for a malformed policy; a gate
    that fails is a result, not an exception.
    """
    from shipyard.registry.aliases import AliasService
    from shipyard.registry.service import RegistryService

    check_alias(alias)
    role, action = (Role.VIEWER, "evaluate gates") if dry_run else (Role.MAINTAINER, "promote")
    ctx.principal.require(role, ctx.project, f"{action} models")
    registry = RegistryService(ctx.db)
    version = registry.get_version(ctx.principal, ctx.project, ref)
    current = registry.alias_version(ctx.principal, ctx.project, version.name, alias)
    if current == version.version:
        return Promotion(version.name, version.version, alias, current, dry_run=dry_run,
                         already=True)  # fmt: skip
    started = utcnow()
    results, configured = evaluate_gates(
        ctx, version, alias, current=current, record=not dry_run, trusted=trusted
    )
    outcome = Promotion(
        version.name, version.version, alias, current, results, dry_run,
        gates_configured=configured,
    )  # fmt: skip
    if dry_run:
        return outcome
    evaluation = outcome.evaluation() | {
        "started_at": started.isoformat(),
        "finished_at": utcnow().isoformat(),
        "evaluated_by": ctx.principal.name,
        "policy": _policy_json(ctx, alias),
    }
    aliases = AliasService(ctx.db)
    if not outcome.passed:
        aliases.record_refusal(
            ctx.principal, ctx.project, version.name, version.version, alias, evaluation
        )
        return outcome
    moved = aliases.set_alias(
        ctx.principal,
        ctx.project,
        version.name,
        alias,
        version.version,
        reason=reason,
        action="promote",
        evaluation=evaluation,
        expect_current=current,
    )
    return Promotion(
        version.name, version.version, alias, current, results, dry_run, moved.event,
        gates_configured=configured,
    )  # fmt: skip


def _policy_json(ctx: Context, alias: str) -> dict[str, Any]:
    import json

    raw = ctx.settings.gates.get(alias) or {}
    return dict(json.loads(json.dumps(raw, default=str)))
