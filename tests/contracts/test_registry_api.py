"""The registry and alias interfaces (``ctx.registry``, ``ctx.aliases``) in every mode:
who may read and move, and the moves refused without a trace. The SDK and CLI view
of the same is test_registry_sdk.py."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from shipyard.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shipyard.core.model_ref import ModelRef
from shipyard.models import register_model
from tests.contracts.sdk_modes import Mode

X = np.random.default_rng(3).normal(size=(40, 3))


def _registered(mode: Mode, versions: int = 2) -> str:
    """A new model with ``versions`` versions, registered by the mode's data scientist."""
    name = mode.unique("churn")
    for seed in range(versions):
        model = LogisticRegression().fit(X, X[:, seed % 3] > 0)
        register_model(model, name, input_example=X[:3], context=mode.context)
    return name


def test_viewers_read_maintainers_move_and_outsiders_see_nothing(mode: Mode) -> None:
    name = _registered(mode)
    viewer = mode.persona("viewer")
    got = viewer.registry.get_version(viewer.principal, mode.project, ModelRef(name, version=2))
    assert (got.name, got.version) == (name, 2)
    for persona in ("viewer", "contributor"):
        ctx = mode.persona(persona)
        with pytest.raises(PermissionDenied):
            ctx.aliases.set_alias(ctx.principal, mode.project, name, "production", 1)
    outsider = mode.persona("outsider")
    with pytest.raises(PermissionDenied):
        outsider.registry.get_version(outsider.principal, mode.project, ModelRef(name, version=1))
    with pytest.raises(PermissionDenied):
        outsider.aliases.set_alias(outsider.principal, mode.project, name, "production", 1)
    maintainer = mode.persona("maintainer")
    aliases, me = maintainer.aliases, maintainer.principal
    assert aliases.set_alias(me, mode.project, name, "production", 1, reason="first").changed
    assert aliases.set_alias(me, mode.project, name, "production", 2).changed
    assert not aliases.set_alias(me, mode.project, name, "production", 2).changed
    back = aliases.rollback(me, mode.project, name, "production", reason="bad canary")
    assert back.current == 1
    events = aliases.history(viewer.principal, mode.project, name, "production")
    assert [(e.action, e.from_version, e.to_version, e.principal) for e in events] == [
        ("set", None, 1, "maintainer"), ("set", 1, 2, "maintainer"),
        ("rollback", 2, 1, "maintainer"),
    ]  # fmt: skip
    assert [e.reason for e in events] == ["first", "", "bad canary"]
    assert viewer.registry.alias_version(viewer.principal, mode.project, name, "production") == 1


def test_bad_moves_are_refused_and_leave_no_trace(mode: Mode) -> None:
    name = _registered(mode, versions=1)
    maintainer = mode.persona("maintainer")
    aliases, me, project = maintainer.aliases, maintainer.principal, mode.project
    with pytest.raises(NotFound):
        aliases.set_alias(me, project, mode.unique("nothing"), "production", 1)
    with pytest.raises(NotFound):
        aliases.set_alias(me, project, name, "production", 9)
    with pytest.raises(InvalidInput):
        aliases.set_alias(me, project, name, "Not An Alias!", 1)
    with pytest.raises(InvalidInput):
        aliases.set_alias(me, project, name, "latest", 1)  # names the newest version already
    with pytest.raises(NotFound, match="has no alias 'production'"):
        aliases.rollback(me, project, name, "production")
    aliases.set_alias(me, project, name, "staging", 1)
    with pytest.raises(Conflict, match="no earlier version to roll back to"):
        aliases.rollback(me, project, name, "staging")
    assert [(e.alias, e.action) for e in aliases.history(me, project, name)] == [("staging", "set")]
    with pytest.raises(NotFound):
        maintainer.registry.get_version(me, project, ModelRef(name, version=2))


def test_a_versions_approvals_are_listed_for_viewers_by_alias_or_all(mode: Mode) -> None:
    name = _registered(mode, versions=1)
    maintainer = mode.persona("maintainer")
    maintainer.aliases.approve(maintainer.principal, mode.project, name, 1, "staging", note="ok")
    maintainer.aliases.approve(maintainer.principal, mode.project, name, 1, "production")
    viewer = mode.persona("viewer")
    every = viewer.aliases.approvals(viewer.principal, mode.project, name, 1)
    assert [(a.alias, a.principal, a.note) for a in every] == [
        ("staging", "maintainer", "ok"), ("production", "maintainer", "")
    ]  # fmt: skip
    staging = viewer.aliases.approvals(viewer.principal, mode.project, name, 1, "staging")
    assert [a.alias for a in staging] == ["staging"]
    outsider = mode.persona("outsider")
    with pytest.raises(PermissionDenied):
        outsider.aliases.approvals(outsider.principal, mode.project, name, 1)
    with pytest.raises(NotFound):
        viewer.aliases.approvals(viewer.principal, mode.project, mode.unique("nothing"), 1)
