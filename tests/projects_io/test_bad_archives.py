"""Damaged, forged and hostile archives, and clashing targets: one line, nothing written."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

import shipyard
from shipyard.context import open_context
from tests.projects_io.conftest import Cli, members, rebuild, table_lines, with_member


def _state(target: Path) -> tuple[int, int, int]:
    """Rows, objects and audit entries of the target: what an import would change."""
    with open_context(target) as ctx:
        objects = sum(1 for _ in ctx.objects.iter_records())
        with ctx.db.read() as session:
            from sqlalchemy import func, select

            from shipyard.store.tables import AuditEventRow
            from shipyard.tracking.tables import RunRow

            runs = session.scalar(select(func.count()).select_from(RunRow)) or 0
            entries = session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
    return runs, objects, entries


def _refused(cli: Cli, target: Path, archive: Path, message: str) -> None:
    before = _state(target)
    result = cli("-C", str(target), "import", str(archive))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) <= 2  # the error, and maybe a hint
    assert _state(target) == before


def test_a_flipped_byte_is_found_before_anything_is_written(
    cli: Cli, archive: Path, target: Path
) -> None:
    raw = bytearray(archive.read_bytes())
    spot = raw.index(b"trained on the full set")  # inside the artifact object
    raw[spot] ^= 0x20
    tampered = archive.with_name("tampered.tar")
    tampered.write_bytes(bytes(raw))
    _refused(cli, target, tampered, "does not match its digest")


def test_a_truncated_archive_is_refused(cli: Cli, archive: Path, target: Path) -> None:
    cut = archive.with_name("cut.tar")
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    _refused(cli, target, cut, "cut.tar")


def test_the_expected_id_must_match(cli: Cli, archive: Path, target: Path) -> None:
    result = cli("-C", str(target), "import", str(archive), "--expect", "0" * 64)
    assert result.exit_code == 2
    assert "not the expected" in result.stderr


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("../../evil.txt", tarfile.REGTYPE, "unexpected member"),
        ("/etc/passwd", tarfile.REGTYPE, "unexpected member"),
        ("objects/" + "a" * 64, tarfile.SYMTYPE, "not a regular file"),
        ("tables/runs.jsonl", tarfile.LNKTYPE, "not a regular file"),
        ("x" * 300, tarfile.REGTYPE, "unexpected member"),
        ("tables", tarfile.DIRTYPE, "unexpected member"),
    ],
)
def test_hostile_members_are_refused(
    cli: Cli, archive: Path, target: Path, name: str, kind: bytes, message: str
) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = "/etc/passwd" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
    hostile = with_member(archive, archive.with_name("hostile.tar"), info, b"x")
    _refused(cli, target, hostile, message)


def test_a_member_larger_than_the_file_is_refused(cli: Cli, archive: Path, target: Path) -> None:
    huge = tarfile.TarInfo("audit.jsonl")
    huge.size = 1 << 40  # a terabyte, in an archive of kilobytes
    path = archive.with_name("huge.tar")
    path.write_bytes(huge.tobuf(tarfile.GNU_FORMAT, "utf-8", "strict") + archive.read_bytes())
    _refused(cli, target, path, "runs past the end")


def test_rows_of_wrong_types_are_refused_even_with_a_matching_manifest(
    cli: Cli, archive: Path, target: Path
) -> None:
    content = members(archive)
    rows = table_lines(content, "run_metric_chunks")
    rows[0][4] = "many"  # count: an integer column
    content["tables/run_metric_chunks.jsonl"] = b"".join(
        json.dumps(r).encode() + b"\n" for r in rows
    )
    forged = rebuild(archive, archive.with_name("forged.tar"), content)
    _refused(cli, target, forged, "bad value for run_metric_chunks.count")


def test_rows_attached_to_another_project_are_refused(
    cli: Cli, archive: Path, target: Path
) -> None:
    content = members(archive)
    params = table_lines(content, "run_params")
    params.append(["01aaaaaaaaaaaaaaaaaaaaaaaa", "stolen", "1", 1.0])  # a run of someone else
    content["tables/run_params.jsonl"] = b"".join(json.dumps(r).encode() + b"\n" for r in params)
    runs = table_lines(content, "runs")
    runs[0][1] = "other"
    content["tables/runs.jsonl"] = b"".join(json.dumps(r).encode() + b"\n" for r in runs)
    forged = rebuild(archive, archive.with_name("forged.tar"), content)
    _refused(cli, target, forged, "belongs to another project")
    runs[0][1] = "demo"
    content["tables/runs.jsonl"] = b"".join(json.dumps(r).encode() + b"\n" for r in runs)
    forged = rebuild(archive, archive.with_name("forged.tar"), content)
    _refused(cli, target, forged, "which the archive does not hold")


def test_not_an_archive_at_all(cli: Cli, target: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"PK\x03\x04" + b"\x00" * 2000)
    _refused(cli, target, junk, "damaged header")
    _refused(cli, target, tmp_path / "absent.tar", "no archive file")


def test_a_project_with_data_of_that_name_is_not_merged(
    cli: Cli, archive: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(target)
    with shipyard.start_run(name="already here"):
        pass
    _refused(cli, target, archive, "already has a project of that name with data")


def test_the_same_ids_under_another_name_are_refused(cli: Cli, source: Path, archive: Path) -> None:
    """Importing into the store it came from, as if renamed: the runs' ids exist."""
    content = members(archive)
    for table, column in (("projects", 1), ("experiments", 1), ("runs", 1), ("datasets", 1),
                          ("registered_models", 1)):  # fmt: skip
        rows = table_lines(content, table)
        for row in rows:
            row[column] = "renamed"
        content[f"tables/{table}.jsonl"] = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    rows = table_lines(content, "projects")
    rows[0][0] = "01zzzzzzzzzzzzzzzzzzzzzzzz"
    content["tables/projects.jsonl"] = json.dumps(rows[0]).encode() + b"\n"
    header = json.loads(content["header.json"])
    header["project"] = "renamed"
    content["header.json"] = json.dumps(header).encode()
    content["audit.jsonl"] = b""  # entries about "demo" would be refused first
    forged = rebuild(archive, archive.with_name("renamed.tar"), content)
    _refused(cli, source, forged, "already exists in the target")


def test_export_refuses_an_unknown_project_and_an_existing_file(
    cli: Cli, source: Path, archive: Path
) -> None:
    result = cli("export", "nope", "-o", str(archive.with_name("x.tar")))
    assert result.exit_code == 2
    assert "no project 'nope'" in result.stderr
    assert not archive.with_name("x.tar").exists()
    result = cli("export", "demo", "-o", str(archive))
    assert result.exit_code == 2
    assert "exists" in result.stderr


def test_export_from_a_server_url_is_refused_with_where_to_run_it(cli: Cli, archive: Path) -> None:
    result = cli("--uri", "https://shipyard.example.invalid", "export", "demo", "-o", "x.tar")
    assert result.exit_code == 2, result.output
    assert "needs direct access to the metadata store" in result.stderr
    assert "--uri postgresql://" in result.stderr


def test_an_object_whose_content_is_not_its_name_is_refused(
    cli: Cli, archive: Path, target: Path
) -> None:
    """Holding a digest's bytes is what grants it: a forged member proves nothing."""
    content = members(archive)
    name = next(n for n, data in content.items() if data == b"trained on the full set\n")
    content[name] = b"something else entirely\n"
    forged = rebuild(archive, archive.with_name("forged.tar"), content)
    _refused(cli, target, forged, f"member {name} does not match its digest")
