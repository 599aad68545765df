"""ONNX sessions that read no file outside the model's folder.

An ONNX tensor may keep its bytes in a side file ("external data") named by a
``location`` in the graph. onnxruntime resolves that location against the
folder of a model it loads from a path, but against the *process's working
directory* for a model loaded from bytes: a graph naming
``.shipyard/keys/signing-key.pem`` read the workspace's private key into a
tensor, and ``predict`` (or ``shipyard serve``) returned it.

So every session is made here, and before any is made every tensor of the
graph that has external data (initializers, sparse initializers, tensors in
node attributes, subgraphs at any depth, local functions, training graphs) is
checked: its one ``location`` must pass
:func:`~shipyard.core.relpath.check_relpath` and name a regular file inside the
model's folder reached through no symbolic link
(:class:`~shipyard.workspace.destinations.Destinations`). The session is then
made from the very bytes checked, with the model's folder as the base for
external data, never the working directory. A model given as bytes alone may
have no external data at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput, UnsafePath
from shipyard.core.relpath import check_relpath, shown
from shipyard.workspace.destinations import Destinations

__all__ = ["check_external_data", "external_tensors", "new_session", "parse_model"]

# onnxruntime's session option naming the folder external data is read from.
_EXTERNAL_FOLDER = "session.model_external_initializers_file_folder_path"
_FORMAT = "session.load_model_format"
# onnxruntime's marker for "the offset is a memory address" (refused in model files
# by recent versions only): never a file name.
_MEMORY_TAG = "*/_ORT_MEM_ADDR_/*"


def parse_model(data: bytes) -> Any:
    """``data`` as an ``onnx.ModelProto``; :class:`InvalidInput` if it is not one."""
    import onnx

    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as exc:  # protobuf's DecodeError (untyped package), RecursionError
        raise InvalidInput(f"the ONNX model cannot be parsed: {exc}") from None
    return model


def external_tensors(model: Any) -> Iterator[Any]:
    """Every ``TensorProto`` of ``model`` that keeps (or claims to keep) its bytes elsewhere.

    Walks with explicit stacks: a hostile graph may nest subgraphs deeper than
    Python's recursion limit.
    """
    from onnx import TensorProto

    graphs: list[Any] = [model.graph]
    for info in model.training_info:
        graphs += [info.initialization, info.algorithm]
    nodes: list[Any] = [node for function in model.functions for node in function.node]
    while graphs or nodes:
        tensors: list[Any] = []
        if graphs:
            graph = graphs.pop()
            tensors += graph.initializer
            for sparse in graph.sparse_initializer:
                tensors += [sparse.values, sparse.indices]
            nodes += graph.node
        else:
            for attribute in nodes.pop().attribute:
                tensors += [attribute.t, *attribute.tensors]
                for sparse in [attribute.sparse_tensor, *attribute.sparse_tensors]:
                    tensors += [sparse.values, sparse.indices]
                graphs += [attribute.g, *attribute.graphs]
        for tensor in tensors:
            if tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data):
                yield tensor


def check_external_data(model: Any, folder: Path | None) -> list[Path]:
    """The side files ``model`` reads, each checked to lie inside ``folder``.

    Raises :class:`UnsafePath` naming the tensor and its location for a location
    that is not a plain relative path, names a ``.git``/``.shipyard`` folder,
    goes through a symbolic link or leaves ``folder``, and for any external
    data at all when ``folder`` is None (a model given as bytes has no folder).
    """
    files: list[Path] = []
    for tensor in external_tensors(model):
        name = shown(tensor.name or "(unnamed)")
        what = f"external data location of ONNX tensor '{name}'"
        locations = [entry.value for entry in tensor.external_data if entry.key == "location"]
        if len(locations) != 1:
            raise UnsafePath(
                f"ONNX tensor '{name}' names {len(locations)} external data locations, not one",
                path=name,
            )
        location = locations[0]
        if location == _MEMORY_TAG:
            raise UnsafePath(f"{what} is onnxruntime's memory-address marker", path=name)
        check_relpath(location, what=what)
        if folder is None:
            raise UnsafePath(
                f"{what} '{shown(location)}' cannot be read: the model was given as bytes, "
                "without its folder",
                path=shown(location),
                hint="load the model from its folder (or with its external data in memory)",
            )
        file = Destinations(folder, what=what).path(location)  # no link, nothing outside
        if not file.is_file():
            raise InvalidInput(
                f"{what} '{shown(location)}' names no file in {folder}",
                hint="keep an ONNX model's external data files in the model's folder",
            )
        files.append(file)
    return files


def new_session(data: bytes, folder: Path | None, *, model: Any = None) -> Any:
    """An onnxruntime CPU session for the ONNX bytes ``data``, after :func:`check_external_data`.

    ``folder`` is where ``data`` came from (None: bytes alone); ``model`` is
    ``data`` already parsed, when the caller has it.
    """
    import onnxruntime as ort

    # The key "location" is stored verbatim in the bytes: without it no tensor can
    # name a file, and a large inline model need not be parsed a second time.
    if model is not None or b"location" in data:
        check_external_data(parse_model(data) if model is None else model, folder)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    # Read as an ONNX protobuf, the format checked above: never as onnxruntime's own
    # flatbuffer format (which it would otherwise detect from the bytes), unwalked here.
    options.add_session_config_entry(_FORMAT, "ONNX")
    # Never the working directory: the model's folder, or (for bytes alone) a path
    # under which no file can exist, should a location ever slip through.
    base = os.path.abspath(folder) if folder is not None else os.devnull
    options.add_session_config_entry(_EXTERNAL_FOLDER, base)
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise InvalidInput(f"onnxruntime cannot load the model: {exc}") from exc
