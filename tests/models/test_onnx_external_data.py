"""ONNX external data: read only from inside the model's folder (security issue 15, item 3).

A tensor's ``location`` once resolved against the process's working directory
(onnxruntime does that for a model given as bytes): a graph naming
``.shipyard/keys/signing-key.pem`` made ``predict`` return the workspace's
private key. The workspace fixture makes the current folder a workspace with
a real signing key, as ``shipyard serve`` would run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shipyard.core.errors import InvalidInput, UnsafePath
from shipyard.models import load_model, save_model
from shipyard.models.flavors.onnx import OnnxFlavor, OnnxModel
from shipyard.models.signing.keys import PRIVATE_KEY_FILE, generate_keys
from tests.models.onnx_graphs import PLACES, leaking_graph, matmul_graph, model_folder

KEY_LOCATIONS = {
    "working-directory": ".shipyard/keys/signing-key.pem",  # what leaked the key
    "parent": "../../.shipyard/keys/signing-key.pem",  # from models/evil/ to the workspace
    "git": ".git/config",
}


@pytest.fixture
def key(workspace: Path) -> bytes:
    """The workspace's private signing key (the bytes that must never come out)."""
    info = generate_keys(workspace / ".shipyard" / "keys")
    assert info.private_key is not None
    assert info.private_key.name == PRIVATE_KEY_FILE
    return info.private_key.read_bytes()


def assert_never_read(model: Any, key: bytes) -> None:
    """Whatever ``model`` is, predicting with it does not hand out the key."""
    output = np.asarray(model.predict(np.zeros((1, 1), dtype=np.float32))).tobytes()
    assert key[28:60] not in output


@pytest.mark.parametrize("location", KEY_LOCATIONS.values(), ids=KEY_LOCATIONS.keys())
def test_a_location_naming_a_file_outside_the_model_is_refused(
    workspace: Path, key: bytes, location: str
) -> None:
    folder = model_folder(workspace / "models" / "evil", leaking_graph(location))
    with pytest.raises(UnsafePath, match="external data location of ONNX tensor 'secret'") as e:
        assert_never_read(load_model(folder), key)
    assert e.value.path == location
    assert e.value.one_line().count("\n") == 0


def test_an_absolute_location_is_refused(workspace: Path, key: bytes) -> None:
    location = str(workspace / ".shipyard" / "keys" / PRIVATE_KEY_FILE)
    folder = model_folder(workspace / "models" / "evil", leaking_graph(location))
    with pytest.raises(UnsafePath, match="is absolute") as e:
        assert_never_read(load_model(folder), key)
    assert e.value.path == location


@pytest.mark.parametrize("place", PLACES)
def test_every_tensor_of_the_graph_is_checked(workspace: Path, key: bytes, place: str) -> None:
    from shipyard.models.flavors.onnx_files import external_tensors

    graph = leaking_graph(".shipyard/keys/signing-key.pem", place)
    assert {t.name for t in external_tensors(graph)} == {"secret"}
    folder = model_folder(workspace / "models" / "evil", graph)
    with pytest.raises(UnsafePath, match=r"'\.shipyard/keys/signing-key\.pem'"):
        assert_never_read(load_model(folder), key)


def test_a_link_in_the_model_folder_is_refused(workspace: Path, key: bytes) -> None:
    keys = workspace / ".shipyard" / "keys"
    folder = workspace / "models" / "evil"
    (folder / "data").mkdir(parents=True)
    (folder / "weights.bin").symlink_to(keys / PRIVATE_KEY_FILE)
    model_folder(folder, leaking_graph("weights.bin"))
    # load_model: the folder's listing refuses the link before any flavor reads a byte
    with pytest.raises(UnsafePath, match=r"model file weights\.bin .* is a symbolic link") as e:
        assert_never_read(load_model(folder), key)
    assert e.value.path == "weights.bin"
    # the flavor itself refuses it too, and a linked folder on the way
    with pytest.raises(UnsafePath, match="goes through a symbolic link"):
        assert_never_read(OnnxFlavor().load(folder, {}, trusted=False), key)
    (folder / "weights.bin").unlink()
    (folder / "data").rmdir()
    (folder / "data").symlink_to(keys)
    (folder / "model.onnx").write_bytes(leaking_graph("data/signing-key.pem").SerializeToString())
    with pytest.raises(UnsafePath, match=r"\(data is one\)"):
        assert_never_read(OnnxFlavor().load(folder, {}, trusted=False), key)


def test_onnxruntimes_memory_marker_is_refused(workspace: Path) -> None:
    folder = workspace / "models" / "evil"
    (folder / "*" / "_ORT_MEM_ADDR_").mkdir(parents=True)
    (folder / "*" / "_ORT_MEM_ADDR_" / "*").write_bytes(bytes(64))  # a file of that name exists
    model_folder(folder, leaking_graph("*/_ORT_MEM_ADDR_/*"))
    with pytest.raises(UnsafePath, match="memory-address marker"):
        load_model(folder)


def test_bytes_alone_read_no_external_data(workspace: Path, key: bytes) -> None:
    graph = leaking_graph(".shipyard/keys/signing-key.pem")
    with pytest.raises(UnsafePath, match="external data location of ONNX tensor 'secret'"):
        assert_never_read(OnnxModel.from_bytes(graph.SerializeToString()), key)
    (workspace / "w.bin").write_bytes(bytes(64))  # even a harmless file in the working folder
    with pytest.raises(UnsafePath, match="the model was given as bytes"):
        OnnxModel.from_bytes(leaking_graph("w.bin").SerializeToString())
    with pytest.raises(InvalidInput, match="keeps its data in an external file"):
        save_model(leaking_graph("w.bin"), workspace / "saved")
    assert not (workspace / "saved").exists()


def test_external_data_inside_the_folder_loads_and_predicts(
    workspace: Path, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(32, 16)).astype(np.float32)  # 2 KiB: over onnx's 1 KiB threshold
    X = rng.normal(size=(5, 32)).astype(np.float32)
    # saved by Shipyard: the data file sits beside the graph and is in the manifest
    manifest = save_model(
        matmul_graph(weights, None), tmp_path / "saved", input_example=X,
        options={"external_data": True},
    )  # fmt: skip
    assert manifest.file("model.onnx.data") is not None
    assert manifest.flavor_params["external_data"] is True
    assert (tmp_path / "saved" / "model.onnx").stat().st_size < weights.nbytes
    np.testing.assert_allclose(
        load_model(tmp_path / "saved").predict(X), X @ weights, rtol=1e-5, atol=1e-4
    )
    # written by other tools, in a subfolder: resolved against the model's folder,
    # whatever the current folder (here the workspace, which holds no such file)
    folder = tmp_path / "handmade"
    (folder / "weights").mkdir(parents=True)
    (folder / "weights" / "w.bin").write_bytes(weights.tobytes())
    model_folder(folder, matmul_graph(weights, "weights/w.bin"), example=X)
    assert Path.cwd() == workspace
    assert not (workspace / "weights").exists()
    np.testing.assert_allclose(load_model(folder).predict(X), X @ weights, rtol=1e-5, atol=1e-4)
    # a location naming no file is one clear error
    os.remove(folder / "weights" / "w.bin")
    (folder / "weights" / "other.bin").write_bytes(weights.tobytes())
    with pytest.raises(InvalidInput, match=r"'weights/w\.bin' names no file"):
        OnnxFlavor().load(folder, {}, trusted=False)
