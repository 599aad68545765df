"""gc keeps every object dataset versions need; drift takes ``PATH@REV`` as a reference."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from typer.testing import Result

from shipyard.context import Context
from shipyard.data.service import DataService
from shipyard.objects.gc import gc
from shipyard.objects.references import collect_references
from tests.data.conftest import commit, write_csv, write_files

Cli = Callable[..., Result]


def test_gc_keeps_versions_files_and_profiles_and_drops_the_rest(
    workspace: Path, ctx: Context
) -> None:
    service = DataService(ctx)
    write_csv(workspace / "parts" / "a.csv", 20)
    write_files(workspace / "parts", 3, prefix="blob")
    write_csv(workspace / "t.csv", 10)
    service.add(["parts", "t.csv"])
    write_csv(workspace / "t.csv", 12)
    service.add(["t.csv"])  # v1 of t.csv stays referenced by its record
    stray = ctx.objects.put_bytes(b"nobody refers to me")

    refs = collect_references(ctx).digests
    assert stray.digest not in refs
    # both versions of t.csv, the folder's listing, its 4 files, 3 profiles, 1 profile index
    assert len(refs) >= 2 + 2 + 1 + 4 + 1

    report = gc(ctx, grace=timedelta(0))
    assert [r.name for r in report.garbage] == [stray.digest.hex]
    shutil.rmtree(workspace / "parts")
    (workspace / "t.csv").unlink()
    service.checkout()
    assert (workspace / "parts" / "a.csv").read_text().count("\n") == 21
    assert service.show("t.csv").profile is not None


def test_pointers_in_the_work_tree_are_roots_even_without_a_record(
    workspace: Path, ctx: Context
) -> None:
    from shipyard.data.tables import DatasetRow

    write_csv(workspace / "t.csv", 10)
    [added] = DataService(ctx).add(["t.csv"])
    with ctx.db.write() as session:  # as in a fresh clone: pointer, data, no record
        session.query(DatasetRow).delete()
    assert added.digest in collect_references(ctx).digests


def test_drift_against_a_dataset_version(workspace: Path, cli: Cli) -> None:
    write_csv(workspace / "train.csv", 400)
    cli("data", "add", "train.csv")
    commit(workspace, "reference")
    write_csv(workspace / "train.csv", 400, offset=50.0)  # every score moved far away
    cli("data", "add", "train.csv")
    write_csv(workspace / "today.csv", 400, offset=50.0)
    (workspace / "train.csv").unlink()  # the reference needs no data on disk

    moved = cli("monitor", "drift", "train.csv@HEAD", "today.csv", "--json", "report.json")
    assert moved.exit_code == 1, moved.output  # drift detected
    report = json.loads((workspace / "report.json").read_text())
    assert "score" in report["drifted"]
    same = cli("monitor", "drift", "train.csv@v2", "today.csv")
    assert same.exit_code == 0, same.output
    unknown = cli("monitor", "drift", "train.csv@v9", "today.csv")
    assert unknown.exit_code == 2
    assert "has no version v9" in unknown.stderr
