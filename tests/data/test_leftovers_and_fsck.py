"""What interrupted checkouts leave behind, and corrupt listings, as fsck and gc see them."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from shipyard.context import open_context
from shipyard.core.digest import digest_of
from shipyard.data.paths import pointer_path
from shipyard.data.pointer import Pointer
from tests.data.conftest import write_files

Cli = Callable[..., Result]
HOUR = 3600


def _scratch(beside: Path, *, age: float = 0.0) -> Path:
    """A scratch file as a write killed between its bytes and its rename leaves it."""
    path = beside.with_name(f".{beside.name}.0123456789ab.shipyard-tmp")
    path.write_bytes(b"half a file")
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def test_the_next_checkout_removes_what_a_killed_one_left(workspace: Path, cli: Cli) -> None:
    write_files(workspace / "data" / "imgs", 3)
    (workspace / "data" / "table.csv").write_text("a\n1\n")
    assert cli("data", "add", "data/imgs", "data/table.csv").exit_code == 0
    inside = _scratch(workspace / "data" / "imgs" / "f0001.bin")
    beside = _scratch(workspace / "data" / "table.csv")
    (workspace / "data" / "imgs" / "f0001.bin").unlink()

    status = json.loads(cli("data", "status", "--json").stdout)
    assert {s["name"]: s["state"] for s in status}["data/imgs"] == "modified"
    assert cli("data", "checkout").exit_code == 0
    assert not inside.exists()
    assert not beside.exists()
    assert (workspace / "data" / "imgs" / "f0001.bin").is_file()


def test_fsck_lists_scratch_files_and_gc_removes_the_old_ones(workspace: Path, cli: Cli) -> None:
    write_files(workspace / "data" / "imgs", 2)
    assert cli("data", "add", "data/imgs").exit_code == 0
    old = _scratch(workspace / "data" / "imgs" / "f0000.bin", age=48 * HOUR)
    young = _scratch(workspace / "data" / "imgs" / "f0001.bin")
    users_own = workspace / "data" / "imgs" / "notes.shipyard-tmp"  # not a name we make
    users_own.write_text("mine")

    checked = cli("fsck", "--json")
    assert checked.exit_code == 0, checked.output  # leftovers are not damage
    assert sorted(json.loads(checked.stdout)["leftovers"]) == sorted([str(old), str(young)])
    assert "scratch file(s) of interrupted writes" in cli("fsck").stdout

    assert old.exists()
    dry = json.loads(cli("gc", "--dry-run", "--json").stdout)
    assert str(old) in dry["leftovers"]
    assert str(young) not in dry["leftovers"]
    assert old.exists()
    assert cli("gc").exit_code == 0
    assert not old.exists()
    assert young.exists()
    assert users_own.exists()


def _pointer_to(workspace: Path, name: str, data: bytes | None, *, store: bool = True) -> str:
    content = data if data is not None else b"never stored"
    digest = digest_of(content)
    if store:
        with open_context(workspace) as ctx:
            ctx.objects.put_bytes(content)
    Pointer(name, "directory", digest, 1, 1).write(pointer_path(workspace, name))
    return digest.hex


def test_fsck_names_a_corrupt_listing_and_goes_on_checking(workspace: Path, cli: Cli) -> None:
    write_files(workspace / "data" / "good", 2)
    assert cli("data", "add", "data/good").exit_code == 0
    corrupt = _pointer_to(workspace, "data/bad", b"this is not a folder listing")
    missing = _pointer_to(workspace, "data/gone", None, store=False)

    result = cli("fsck", "--json")
    assert result.exit_code == 1
    problems = {p["object"]: p for p in json.loads(result.stdout)["problems"]}
    assert problems[corrupt]["problem"] == "corrupt"
    assert "not a directory listing" in problems[corrupt]["detail"]
    assert problems[missing]["problem"] == "missing"  # checked after the corrupt one
    assert "gc" not in result.stderr

    refused = cli("gc")
    assert refused.exit_code == 1
    assert corrupt in refused.stderr
    assert "nothing was deleted" in refused.stderr
