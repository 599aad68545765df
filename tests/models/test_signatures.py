"""Signature inference from examples, and the validator serving runs on every request."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from shipyard.core.errors import InvalidInput, SignatureMismatch
from shipyard.core.signature import ColumnSchema, TensorSchema
from shipyard.models import infer_signature, signature_validator
from shipyard.models.signatures.example import decode_example, encode_example


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [31, 45],
            "income": [1200.5, 880.0],
            "city": ["Oslo", "Lyon"],
            "member": [True, False],
            "joined": pd.to_datetime(["2020-01-01", "2021-06-30"]),
            "plan": pd.Categorical(["a", "b"]),
            "visits": pd.array([3, None], dtype="Int64"),
        }
    )


def test_a_dataframe_gives_named_typed_columns(frame: pd.DataFrame) -> None:
    signature = infer_signature(frame, np.array([0, 1]))
    assert isinstance(signature.inputs, ColumnSchema)
    assert [(c.name, c.dtype) for c in signature.inputs.columns] == [
        ("age", "int64"),
        ("income", "float64"),
        ("city", "string"),
        ("member", "bool"),
        ("joined", "datetime"),
        ("plan", "string"),
        ("visits", "int64"),
    ]
    assert signature.outputs == TensorSchema(signature.outputs.tensors)  # type: ignore[union-attr]
    assert signature.outputs.tensors[0].shape == (-1,)  # type: ignore[union-attr]


def test_an_array_gives_a_tensor_with_a_free_batch_dimension() -> None:
    signature = infer_signature(np.zeros((5, 3, 2), dtype=np.float32))
    assert signature.inputs.to_dict() == {
        "type": "tensors",
        "tensors": [{"name": None, "dtype": "float32", "shape": [-1, 3, 2]}],
    }


def test_a_dict_of_arrays_and_tensors_gives_named_tensors() -> None:
    signature = infer_signature(
        {"ids": torch.zeros((4, 7), dtype=torch.int64), "mask": np.ones((4, 7), dtype=bool)},
        {"logits": torch.zeros((4, 3))},
    )
    assert [(t.name, t.dtype, t.shape) for t in signature.inputs.tensors] == [  # type: ignore[union-attr]
        ("ids", "int64", (-1, 7)),
        ("mask", "bool", (-1, 7)),
    ]
    assert signature.outputs.tensors[0].name == "logits"  # type: ignore[union-attr]


@pytest.mark.parametrize("data", [3.0, {}, object()])
def test_data_without_a_schema_is_refused(data: object) -> None:
    with pytest.raises(InvalidInput):
        infer_signature(data)


def test_validation_accepts_matching_data_in_every_form(frame: pd.DataFrame) -> None:
    validator = signature_validator(infer_signature(frame))
    validator.validate(frame)
    validator.validate(frame[list(reversed(frame.columns))])  # order does not matter
    validator.validate(frame.assign(extra=1))  # extra columns are ignored
    records = {
        "age": [40],
        "income": [10],  # an int is a safe float
        "city": ["Rome"],
        "member": [False],
        "joined": frame["joined"].to_numpy(),
        "plan": ["b"],
        "visits": [None],
    }
    validator.validate(records)


def test_validation_names_the_missing_column(frame: pd.DataFrame) -> None:
    validator = signature_validator(infer_signature(frame))
    with pytest.raises(SignatureMismatch, match="input column 'city' is missing") as error:
        validator.validate(frame.drop(columns=["city"]))
    assert error.value.field == "city"


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("age", ["old"], "input column 'age' has type string; the model expects int64"),
        ("age", [1.5], "input column 'age' has type float; the model expects int64"),
        ("member", [1], "input column 'member' has type int; the model expects bool"),
        ("income", "12", "input column 'income' must hold a list of values"),
    ],
)
def test_validation_names_the_column_of_the_wrong_type(
    frame: pd.DataFrame, column: str, values: object, message: str
) -> None:
    validator = signature_validator(infer_signature(frame))
    records: dict[str, object] = {name: frame[name].tolist() for name in frame.columns}
    records[column] = values
    with pytest.raises(SignatureMismatch, match=message) as error:
        validator.validate(records)
    assert error.value.field == column


def test_validation_of_a_frame_column_of_the_wrong_dtype(frame: pd.DataFrame) -> None:
    validator = signature_validator(infer_signature(frame))
    with pytest.raises(SignatureMismatch, match="'income' has type string"):
        validator.validate(frame.assign(income=["x", "y"]))


def test_validation_of_tensor_shapes_and_types() -> None:
    validator = signature_validator(infer_signature(np.zeros((2, 4))))
    validator.validate(np.ones((1, 4), dtype=np.float32))
    validator.validate([[1, 2, 3, 4]])
    with pytest.raises(SignatureMismatch, match=r"shape \(2, 5\); the model expects \(any, 4\)"):
        validator.validate(np.ones((2, 5)))
    with pytest.raises(SignatureMismatch, match=r"input has shape \(4\)") as error:
        validator.validate(np.ones(4))
    assert "batch" in (error.value.hint or "")
    with pytest.raises(SignatureMismatch, match="type string; the model expects float64"):
        validator.validate(np.array([["a", "b", "c", "d"]]))
    with pytest.raises(SignatureMismatch, match="not a rectangular array"):
        validator.validate([[1, 2, 3, 4], [1]])


def test_validation_of_named_tensors() -> None:
    validator = signature_validator(
        infer_signature({"ids": np.zeros((2, 3), dtype=np.int64), "mask": np.ones((2, 3), bool)})
    )
    validator.validate(
        {"ids": torch.zeros((5, 3), dtype=torch.int32), "mask": np.ones((5, 3), bool)}
    )
    with pytest.raises(SignatureMismatch, match="input tensor 'mask' is missing") as error:
        validator.validate({"ids": np.zeros((1, 3), dtype=np.int64)})
    assert error.value.field == "mask"
    with pytest.raises(SignatureMismatch, match="input tensor 'ids' has type float32"):
        validator.validate({"ids": torch.zeros((5, 3)), "mask": np.ones((5, 3), bool)})
    with pytest.raises(SignatureMismatch, match="named input tensors"):
        validator.validate(np.zeros((1, 3)))


def test_the_fast_path_does_not_import_pandas() -> None:
    code = (
        "import sys, json\n"
        "from shipyard.core.signature import Signature\n"
        "from shipyard.models.signatures.validate import SignatureValidator\n"
        "sig = Signature.from_dict({'format': 'shipyard.signature', 'version': 1, 'inputs': "
        "{'type': 'columns', 'columns': [{'name': 'a', 'dtype': 'float64'}]}})\n"
        "SignatureValidator(sig).validate({'a': [1.0, 2]})\n"
        "print('pandas' in sys.modules, 'numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_examples_round_trip_exactly(frame: pd.DataFrame) -> None:
    decoded = decode_example(encode_example(frame))
    pd.testing.assert_frame_equal(decoded, frame)  # type: ignore[arg-type]
    array = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    array[0, 0] = np.nan
    np.testing.assert_array_equal(decode_example(encode_example(array)), array)  # type: ignore[arg-type]
    tensors = {"ids": np.arange(6).reshape(2, 3), "words": np.array(["a", "bc"])}
    back = decode_example(encode_example(tensors))
    assert isinstance(back, dict)
    for name, value in tensors.items():
        np.testing.assert_array_equal(back[name], value)
        assert back[name].dtype == value.dtype


def test_examples_keep_only_the_first_rows() -> None:
    decoded = decode_example(encode_example(np.zeros((500, 2)), max_rows=7))
    assert decoded.shape == (7, 2)  # type: ignore[attr-defined]
