"""A project with something of everything, exported once per test."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from typer.testing import Result

import shipyard
from shipyard.core.digest import new_hasher
from shipyard.core.principal import LOCAL_OWNER
from shipyard.models import register_model
from shipyard.projects_io.archive import ArchiveReader, ArchiveWriter
from shipyard.projects_io.manifest import MANIFEST, first_line, manifest_line
from shipyard.workspace.create import init_workspace
from tests.conftest import git_init

Cli = Callable[..., Result]


@pytest.fixture
def source(workspace: Path, cli: Cli) -> Path:
    """The ``demo`` workspace: runs with metrics, params, tags and an artifact (one nested),
    a dataset version, and a model with two versions, an approval and an alias moved twice."""
    (workspace / "notes.txt").write_text("trained on the full set\n")
    with shipyard.start_run(name="parent") as parent:
        parent.log_params({"C": 0.5, "model": "lr"})
        parent.set_tag("team", "search")
        for step in range(300):
            parent.log_metric("loss", 1.0 / (step + 1), step=step)
        parent.log_metric("odd", float("nan"), step=0)
        parent.log_artifact(workspace / "notes.txt")
        with shipyard.start_run(name="child", nested=True) as child:
            child.log_metric("acc", 0.9, step=1)
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(120, 2)), columns=["age", "spend"])
    y = (X["age"] > 0).astype(int)
    X.assign(label=y).to_csv(workspace / "train.csv", index=False)
    assert cli("data", "add", "train.csv").exit_code == 0
    register_model(LogisticRegression().fit(X, y), "churn", input_example=X.head(3))
    register_model(LogisticRegression(C=0.1).fit(X, y), "churn", input_example=X.head(3))
    for args in (
        ("models", "approve", "churn", "2", "--for", "production"),
        ("models", "alias", "set", "churn", "production", "1", "-r", "launch"),
        ("models", "alias", "set", "churn", "production", "2", "-r", "retrained"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    return workspace


@pytest.fixture
def archive(source: Path, cli: Cli, tmp_path: Path) -> Path:
    path = tmp_path / "demo.tar"
    result = cli("export", "demo", "-o", str(path))
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """A fresh workspace of the same project name (as `shipyard init` on the server side)."""
    root = tmp_path / "target"
    root.mkdir()
    git_init(root)
    init_workspace(root, LOCAL_OWNER, project="demo")
    return root


def members(path: Path) -> dict[str, bytes]:
    """Every member's content (small test archives only)."""
    with ArchiveReader(path) as reader:
        return {m.name: b"".join(reader.pieces(m)) for m in reader.members()}


def rebuild(path: Path, dest: Path, content: dict[str, bytes]) -> Path:
    """An archive of ``content`` with a manifest that matches it (a careful forger's)."""
    with dest.open("wb") as out:
        writer = ArchiveWriter(out)
        manifest = first_line()
        for name, data in content.items():
            if name == MANIFEST:
                continue
            writer.add(name, len(data), [data])
            manifest += manifest_line(name, len(data), new_hasher().update(data).hexdigest())
        writer.add(MANIFEST, len(manifest), [manifest])
        writer.close()
    return dest


def with_member(path: Path, dest: Path, info: tarfile.TarInfo, data: bytes = b"") -> Path:
    """The archive with one more member first, of any type and name (as tar writes it)."""
    info.size = len(data)
    header = info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
    dest.write_bytes(header + data + b"\0" * (-len(data) % 512) + path.read_bytes())
    return dest


def table_lines(content: dict[str, bytes], table: str) -> list[list[object]]:
    return [json.loads(line) for line in content[f"tables/{table}.jsonl"].splitlines()]
