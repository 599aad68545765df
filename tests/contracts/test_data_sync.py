"""``shipyard data add/push/pull`` in every mode: the same files go up and come back.

Embedded, the remote is a folder; against a team server it is the server
itself. A clone of the repository (a colleague's machine, with objects of its
own) pulls what was pushed and checks it out byte for byte.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.contracts.sdk_modes import Mode
from tests.data.conftest import commit, write_csv, write_files


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Tess Ter")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tess@example.com")


def _files(a: Path) -> dict[str, bytes]:
    return {str(p.relative_to(a)): p.read_bytes() for p in sorted(a.rglob("*")) if p.is_file()}


def _json(mode: Mode, *args: str) -> Any:
    result = mode.cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow  # a git clone and ~7 MiB each way: 4-12 s a mode
def test_add_push_and_pull_round_trip_the_same_files(
    mode: Mode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = mode.unique("data")
    data = mode.root / name
    write_csv(data / "train.csv", 50)
    write_files(data / "imgs", 30, prefix=name)  # content of its own: the remote is shared
    (data / "big.bin").write_bytes(name.encode() + random.Random(1).randbytes(6 * 1024 * 1024))
    assert mode.cli("remote", "add", "origin", mode.remote_url).exit_code == 0
    added = _json(mode, "data", "add", f"{name}/train.csv", f"{name}/imgs", f"{name}/big.bin")
    assert [a["name"] for a in added] == [f"{name}/train.csv", f"{name}/imgs", f"{name}/big.bin"]
    pushed = _json(mode, "data", "push")
    assert pushed["objects"] >= 36  # files, chunks, a profile, a listing
    again = _json(mode, "data", "push")
    assert again["objects"] == 0
    checked = _json(mode, "data", "status", "--check-remote")
    assert [s["pushed"] for s in checked] == [True, True, True]
    records = mode.context.open_datasets()
    version = records.get(mode.context.principal, mode.project, f"{name}/big.bin")
    assert (version.version, version.size) == (1, (data / "big.bin").stat().st_size)
    assert not mode.push_remote().missing([version.digest])
    commit(mode.root, "data v1")

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(mode.root), str(clone)], check=True)
    monkeypatch.chdir(clone)
    mode.elsewhere(monkeypatch)
    pulled = _json(mode, "data", "pull")
    assert pulled["objects"] >= 36
    assert sum(c["written"] for c in pulled["checkout"]) == 32
    assert _files(clone / name) == _files(data)
    states = _json(mode, "data", "status")
    assert {s["state"] for s in states} == {"unchanged"}
