"""ctx.objects and open_remote: the store named by the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.context import open_context
from shipyard.core.errors import InvalidInput, WorkspaceNotFound
from shipyard.objects import copy_objects, open_remote, open_store


def test_the_default_store_is_the_workspace_object_folder(workspace: Path) -> None:
    with open_context() as ctx:
        store = ctx.objects
        assert store is ctx.objects  # opened once per context
        assert Path(store.url) == workspace / ".shipyard" / "objects"
        ref = store.put_bytes(b"in the workspace")
    with open_context() as ctx:
        assert ctx.objects.read_bytes(ref.digest) == b"in the workspace"
        ctx.close()
        assert "objects" not in ctx.__dict__


def test_outside_a_workspace_ctx_objects_explains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_context() as ctx, pytest.raises(WorkspaceNotFound, match="no Shipyard workspace"):
        _ = ctx.objects


def test_an_s3_workspace_store_and_an_s3_remote_from_settings(
    workspace: Path, s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_OBJECTS_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("SHIPYARD_OBJECTS_PATH", f"s3://{s3_bucket}/workspace")
    with open_context() as ctx:
        ref = ctx.objects.put_bytes(b"team store")
        assert ctx.objects.url == f"s3://{s3_bucket}/workspace"
        remote = open_remote(ctx.settings, f"s3://{s3_bucket}/remote")
        stats = copy_objects(ctx.objects, remote, [ref.digest])
        assert stats.objects == 1
        assert remote.read_bytes(ref.digest) == b"team store"
        remote.close()


def test_a_folder_remote(workspace: Path, tmp_path: Path) -> None:
    with open_context() as ctx:
        ref = ctx.objects.put_bytes(b"to a folder remote")
        remote = open_remote(ctx.settings, str(tmp_path / "remote"))
        copy_objects(ctx.objects, remote, [ref.digest])
    assert open_store(tmp_path / "remote").read_bytes(ref.digest) == b"to a folder remote"


@pytest.mark.parametrize("url", ["gs://bucket/x", "s3://", "s3://bucket/x?secret=1", ""])
def test_unsupported_locations_are_invalid_input(url: str) -> None:
    with pytest.raises(InvalidInput):
        open_store(url)
