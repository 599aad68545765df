"""Serving never hands out a file a model names outside its folder (security issue 15, item 3).

``shipyard serve`` runs in a workspace (the current folder, holding
``.shipyard/keys/signing-key.pem``) without ``--trust``. An ONNX model whose
tensor reads its bytes from the key once answered every request with the
key; now the version fails to load (503 naming the entry) and no answer ever
holds a byte of the key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from shipyard.models.signing.keys import PRIVATE_KEY_FILE, generate_keys
from shipyard.serving.options import ServeOptions
from tests.models.onnx_graphs import leaking_graph, matmul_graph, model_folder
from tests.serving.conftest import Server

REQUEST = {"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32", "data": [0.0]}]}


def _key_pieces(key: bytes) -> list[str]:
    """How the key's bytes would show in a JSON answer: as text, or as a list of numbers."""
    secret = key[28:60]  # after the PEM header: the key material itself
    numbers = [str(b) for b in secret[:12]]
    return [secret.decode(), ",".join(numbers), ", ".join(numbers)]


@pytest.mark.parametrize("kind", ["working-directory", "parent", "absolute", "link"])
def test_serve_refuses_an_onnx_model_that_reads_the_signing_key(
    workspace: Path, serve: Callable[..., Server], kind: str
) -> None:
    info = generate_keys(workspace / ".shipyard" / "keys")
    assert info.private_key is not None
    key = info.private_key.read_bytes()
    folder = workspace / "models" / "evil"
    folder.mkdir(parents=True)
    location, why = {
        "working-directory": (".shipyard/keys/signing-key.pem", "names a .git or .shipyard folder"),
        "parent": ("../../.shipyard/keys/signing-key.pem", "is not a plain relative path"),
        "absolute": (str(info.private_key), "is absolute"),
        "link": ("weights.bin", "is a symbolic link"),
    }[kind]
    if kind == "link":
        (folder / "weights.bin").symlink_to(workspace / ".shipyard" / "keys" / PRIVATE_KEY_FILE)
    model_folder(folder, leaking_graph(location))
    server = serve(ServeOptions(models=(f"evil={folder}",)))
    answer = server.client.post("/v2/models/evil/infer", json=REQUEST)
    assert answer.status_code == 503, answer.text
    assert "cannot be loaded" in answer.text
    assert location in answer.text  # the refusal names the entry and what is wrong with it
    assert why in answer.text
    for piece in _key_pieces(key):
        assert piece not in answer.text
    again = server.client.post("/invocations", json={"inputs": [[0.0]]})
    for piece in _key_pieces(key):
        assert piece not in again.text


def test_serve_answers_with_an_onnx_model_whose_data_is_in_its_folder(
    workspace: Path, serve: Callable[..., Server]
) -> None:
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    folder = workspace / "models" / "mm"
    folder.mkdir(parents=True)
    (folder / "w.bin").write_bytes(weights.tobytes())
    model_folder(folder, matmul_graph(weights, "w.bin"), example=np.ones((1, 2), np.float32))
    server = serve(ServeOptions(models=(f"mm={folder}",)))
    request = {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1.0, 2.0]}]}
    answer = server.client.post("/v2/models/mm/infer", json=request)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outputs"][0]["data"] == [6.0, 9.0, 12.0]
