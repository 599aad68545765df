"""Which version answers a request: the primary, a canary, and a shadow that only listens.

A :class:`Deployment` is one served name. Its *primary* target follows the
reference given to ``shipyard serve``; an optional *canary* (another alias of
the same model) answers ``percent`` of the requests; an optional *shadow*
receives a copy of every request after the primary answered, and its outputs
are only logged. Each target holds the :class:`ResolvedModel` it points at
now; the reloader replaces it in one assignment, so a request sees either the
old version or the new one, never a mix.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from shipyard.core.errors import InvalidInput
from shipyard.models.source import ModelSource, ResolvedModel
from shipyard.serving.options import SplitTraffic

__all__ = ["PRIMARY", "Deployment", "Target", "build_deployments"]

PRIMARY, CANARY, SHADOW = "primary", "canary", "shadow"


@dataclass
class Target:
    """A source and the version it resolves to now."""

    variant: str
    source: ModelSource
    resolved: ResolvedModel
    percent: float = 100.0


@dataclass
class Deployment:
    name: str
    primary: Target
    canary: Target | None = None
    shadow: Target | None = None
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def targets(self) -> list[Target]:
        return [t for t in (self.primary, self.canary, self.shadow) if t is not None]

    def pick(self) -> Target:
        """The target that answers this request (the canary for ``percent`` of them)."""
        canary = self.canary
        if canary is not None and self._random.random() * 100 < canary.percent:
            return canary
        return self.primary

    def versions(self) -> list[str]:
        seen: list[str] = []
        for target in self.targets():
            if target.resolved.version not in seen:
                seen.append(target.resolved.version)
        return seen


def build_deployments(
    sources: list[ModelSource], splits: tuple[SplitTraffic, ...]
) -> dict[str, Deployment]:
    """Resolve every source once (blocking) and attach canary and shadow targets."""
    deployments: dict[str, Deployment] = {}
    for source in sources:
        if source.name in deployments:
            raise InvalidInput(
                f"two models are served as {source.name!r}",
                hint="name them: shipyard serve churn=./a fraud=./b",
            )
        deployments[source.name] = Deployment(
            source.name, Target(PRIMARY, source, source.resolve())
        )
    for split in splits:
        deployment = deployments.get(split.model)
        if deployment is None:
            raise InvalidInput(
                f"--{'shadow' if split.shadow else 'canary'} names {split.model!r}, which is "
                "not served",
                hint=f"served: {', '.join(deployments)}",
            )
        source = deployment.primary.source.alias(split.alias)
        target = Target(SHADOW if split.shadow else CANARY, source, source.resolve(), split.percent)
        if split.shadow:
            if deployment.shadow is not None:
                raise InvalidInput(f"model {split.model!r} has two shadows")
            deployment.shadow = target
        else:
            if deployment.canary is not None:
                raise InvalidInput(f"model {split.model!r} has two canaries")
            deployment.canary = target
    return deployments


def parse_split(text: str, *, shadow: bool) -> SplitTraffic:
    """``churn@staging=10`` (canary, percent) or ``churn@staging`` (shadow)."""
    spec, sep, percent_text = text.partition("=")
    model, at, alias = spec.partition("@")
    if not at or not model or not alias:
        example = "churn@staging" if shadow else "churn@staging=10"
        raise InvalidInput(f"cannot read {text!r}", hint=f"write MODEL@ALIAS, e.g. {example}")
    if shadow:
        if sep:
            raise InvalidInput(f"a shadow takes no percentage: {text!r}")
        return SplitTraffic(model, alias, 100.0, shadow=True)
    try:
        percent = float(percent_text.rstrip("%"))
    except ValueError:
        raise InvalidInput(
            f"cannot read the canary percentage in {text!r}", hint="write e.g. churn@staging=10"
        ) from None
    if not 0 < percent <= 100:
        raise InvalidInput(f"the canary percentage must be above 0 and at most 100: {text!r}")
    return SplitTraffic(model, alias, percent)
