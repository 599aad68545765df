"""Step values read back from the store: hostile records are refused before any file is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shipyard.context import open_context
from shipyard.core.errors import InvalidInput
from shipyard.pipelines.values import StoredValue, load_value, store_value


@pytest.mark.parametrize(
    "record",
    [
        {"kind": "pickle", "digest": "0" * 64, "size": 1},
        {"kind": "json", "digest": "../etc/passwd", "size": 1},
        {"kind": "json", "digest": "0" * 64, "size": -1},
        {"kind": "json", "digest": "0" * 64, "size": True},
        ["json", "0" * 64, 1],
    ],
)
def test_a_malformed_output_record_is_refused(record: object) -> None:
    with pytest.raises(InvalidInput):
        StoredValue.from_dict(record)


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/passwd", "a/../../b"])
def test_a_model_index_naming_a_path_outside_its_folder_is_refused(
    workspace: Path, name: str
) -> None:
    with open_context() as ctx:
        objects = ctx.project_objects
        file_ref = objects.put_bytes(b"not a model")
        index = objects.put_bytes(json.dumps({"files": {name: file_ref.digest.hex}}).encode())
        scratch = workspace / "scratch"
        with pytest.raises(InvalidInput):
            load_value(objects, StoredValue("model", index.digest.hex, index.size), scratch)
    assert not (workspace / "outside.txt").exists()
    assert not scratch.exists()  # refused before anything was unpacked


def test_values_round_trip_by_type(workspace: Path) -> None:
    with open_context() as ctx:
        stored = store_value(ctx.project_objects, {"a": [1, 2.5, None]}, "step 'x'")
        assert stored.kind == "json"
        assert load_value(ctx.project_objects, stored, workspace) == {"a": [1, 2.5, None]}
