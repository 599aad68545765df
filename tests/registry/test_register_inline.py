"""Registering a version from a model directory's files given whole (the inline route's
use case), embedded: checked, stored, granted and registered, or nothing at all."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from shipyard.context import open_context
from shipyard.core.digest import Digest
from shipyard.core.errors import InvalidInput, PermissionDenied
from shipyard.core.principal import Principal, Role
from shipyard.registry.service import RegistryService
from shipyard.registry.stored import register_inline
from tests.server.registry_seed import model_files


def _files() -> dict[str, bytes]:
    return {path: base64.b64decode(text) for path, text in model_files().items()}


def test_files_given_whole_become_the_next_version(workspace: Path) -> None:
    with open_context() as ctx:
        first = register_inline(ctx, "churn", _files(), description="inline")
        again = register_inline(ctx, "churn", _files())
        assert (first.version, again.version) == (1, 2)
        assert (first.description, first.source) == ("inline", "api")
        assert {f.path for f in first.files} >= set(_files()) - {"model.sig"}
        assert all(ctx.objects.has(Digest.parse(f.blake3)) for f in first.files)


def test_what_is_not_a_model_directory_registers_nothing(workspace: Path) -> None:
    with open_context() as ctx:
        for files in ({"model.skops": b"x"}, {**_files(), "shipyard-model.json": b"{"}):
            with pytest.raises(InvalidInput, match="not a Shipyard model directory") as refused:
                register_inline(ctx, "churn", files)
            assert str(ctx.settings.workspace) not in str(refused.value)  # no server path
        with pytest.raises(InvalidInput):
            register_inline(ctx, "churn", {"../escape": b"x"})
        viewer = ctx.as_principal(Principal("val", roles={ctx.project: Role.VIEWER}))
        with pytest.raises(PermissionDenied):
            register_inline(viewer, "churn", _files())
        assert RegistryService(ctx.db).list_models(ctx.principal, ctx.project) == []
