from __future__ import annotations

import pytest

from shipyard.core.errors import InvalidInput
from shipyard.core.signature import (
    ColumnSchema,
    ColumnSpec,
    Signature,
    TensorSchema,
    TensorSpec,
)


def test_round_trip_is_versioned_and_type_tagged() -> None:
    signature = Signature(
        inputs=ColumnSchema((ColumnSpec("age", "int64"), ColumnSpec("city", "string"))),
        outputs=TensorSchema((TensorSpec(None, "float64", (-1, 2)),)),
    )
    data = signature.to_dict()
    assert data["format"] == "shipyard.signature"
    assert data["version"] == 1
    assert data["inputs"]["type"] == "columns"
    assert data["outputs"] == {
        "type": "tensors",
        "tensors": [{"name": None, "dtype": "float64", "shape": [-1, 2]}],
    }
    assert Signature.from_dict(data) == signature


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": 1}, "not a Shipyard signature"),
        ({"format": "shipyard.signature", "version": 9, "inputs": {}}, "format version 9"),
        (
            {"format": "shipyard.signature", "version": 1, "inputs": {"type": "graph"}},
            "unknown inputs type 'graph'",
        ),
        (
            {
                "format": "shipyard.signature",
                "version": 1,
                "inputs": {"type": "columns", "columns": [{"name": "a", "dtype": "complex"}]},
            },
            "unknown dtype 'complex'",
        ),
        (
            {
                "format": "shipyard.signature",
                "version": 1,
                "inputs": {
                    "type": "columns",
                    "columns": [{"name": "a", "dtype": "bool"}, {"name": "a", "dtype": "bool"}],
                },
            },
            "names 'a' twice",
        ),
        (
            {
                "format": "shipyard.signature",
                "version": 1,
                "inputs": {
                    "type": "tensors",
                    "tensors": [{"name": "x", "dtype": "float32", "shape": [-2]}],
                },
            },
            "invalid shape",
        ),
    ],
)
def test_malformed_signatures_are_refused_with_a_reason(data: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Signature.from_dict(data)
