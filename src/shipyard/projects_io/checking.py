"""Reading an archive's content before anything is written: the header, every row, the audit.

After :func:`shipyard.projects_io.manifest.verify` proved the members intact,
:func:`read_contents` decodes every row against the target's columns and
checks it belongs to the archive's project: a ``project`` column names it, a
reference names a row of the archive (a hostile archive cannot attach rows to
another project's runs or models). It keeps what the import needs next: the
members by name, each member's digest, the ids to look for in the target,
the row counts. Memory grows with the number of runs, models and other
entities (their ids), not with metric points or objects.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shipyard.core.audit_chain import entry_hash
from shipyard.core.digest import Digest, new_hasher
from shipyard.core.errors import IntegrityError, InvalidInput
from shipyard.core.project_names import check_project_name
from shipyard.objects.api import ProjectObjects
from shipyard.objects.progress import Progress
from shipyard.projects_io.archive import ArchiveReader, BadArchive, Member
from shipyard.projects_io.manifest import verify
from shipyard.projects_io.rows import RowCodec
from shipyard.projects_io.scope import SPECS, TableSpec, table_of

__all__ = ["Contents", "read_contents"]

FORMAT = "shipyard-project"
VERSION = 1
MAX_HEADER = 1 << 20
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass
class Contents:
    """What the archive holds, checked."""

    project: str
    header: dict[str, Any]
    members: dict[str, Member] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    """BLAKE3 of each table and audit member, compared again as the rows are inserted."""
    objects: dict[Digest, int] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    counts: dict[str, int] = field(default_factory=dict)
    project_id: str = ""
    audit_entries: int = 0
    exported_at: str = ""
    source_head: dict[str, Any] | None = None
    """``{"seq", "hash"}`` of the source's audit chain when exported (None: it was empty)."""

    def codec(self, spec: TableSpec) -> RowCodec:
        return RowCodec(table_of(spec.name), self.header["tables"][spec.name])

    def audit_codec(self) -> RowCodec:
        return RowCodec(table_of("audit_events"), self.header["audit_columns"], named=True)


def read_contents(reader: ArchiveReader) -> Contents:
    """Decode and check every row; raises :class:`BadArchive` on the first bad one."""
    members: dict[str, Member] = {}
    objects: dict[Digest, int] = {}
    for member in reader.members():
        digest = Digest(member.name[8:]) if member.name.startswith("objects/") else None
        if member.name in members or digest in objects:
            raise BadArchive(f"{reader.path} holds {member.name} twice")
        if digest is not None:
            objects[digest] = member.size
        else:
            members[member.name] = member
    contents = _header(reader, members)
    contents.objects = objects
    for spec in SPECS:
        table = members.get(f"tables/{spec.name}.jsonl")
        if table is None:
            raise BadArchive(f"{reader.path} has no rows of table {spec.name}")
        contents.counts[spec.name] = _check_table(reader, contents, spec, table)
    if contents.counts["projects"] != 1:
        raise BadArchive(f"{reader.path} must hold exactly one project row")
    contents.audit_entries = _check_audit(reader, contents, members.get("audit.jsonl"))
    return contents


def _header(reader: ArchiveReader, members: dict[str, Member]) -> Contents:
    member = members.get("header.json")
    if member is None or member.size > MAX_HEADER:
        raise BadArchive(f"{reader.path} has no readable header")
    try:
        header = json.loads(b"".join(reader.pieces(member)))
        known = header["format"] == FORMAT and header["version"] == VERSION
        project = header["project"]
        tables = header["tables"]
        columns = header["audit_columns"]
    except (ValueError, KeyError, TypeError):
        raise BadArchive(f"{reader.path} has a malformed header") from None
    if not known:
        raise BadArchive(f"{reader.path} is not a Shipyard project archive of a known version")
    if not isinstance(tables, dict) or not isinstance(columns, list):
        raise BadArchive(f"{reader.path} has a malformed header")
    if not isinstance(project, str):
        raise BadArchive(f"{reader.path} names no project")
    try:
        check_project_name(project)
    except InvalidInput as exc:
        raise BadArchive(f"{reader.path}: {exc.message}") from None
    for spec in SPECS:
        names = tables.get(spec.name)
        if (
            not isinstance(names, list)
            or not all(isinstance(n, str) for n in names)
            or len(set(names)) != len(names)
        ):
            raise BadArchive(f"{reader.path} lists no columns of table {spec.name}")
        missing = {c.name for c in table_of(spec.name).columns} - set(names) - {spec.fresh}
        if missing:
            raise BadArchive(
                f"{reader.path} has no column {sorted(missing)[0]!r} of {spec.name} "
                "(exported by another version of Shipyard?)"
            )
    contents = Contents(project=project, header=header, members=members)
    contents.exported_at, contents.source_head = _provenance(reader, header)
    return contents


def _provenance(reader: ArchiveReader, header: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """When the archive was made and the source chain's head then (kept in the audit entry)."""
    when, head = header.get("exported_at"), header.get("source_audit_head")
    try:
        exported = datetime.fromisoformat(when).isoformat() if isinstance(when, str) else ""
    except ValueError:
        exported = ""
    if head is None:
        return exported, None
    if (
        isinstance(head, dict)
        and set(head) == {"seq", "hash"}
        and type(head["seq"]) is int
        and isinstance(head["hash"], str)
        and _HASH.fullmatch(head["hash"])
    ):
        return exported, {"seq": head["seq"], "hash": head["hash"]}
    raise BadArchive(f"{reader.path} has a malformed source audit head")


def _check_table(reader: ArchiveReader, contents: Contents, spec: TableSpec, member: Member) -> int:
    codec = contents.codec(spec)
    hasher = new_hasher()
    ids = contents.ids
    count = 0
    for line in reader.lines(member, hasher):
        row = codec.decode(line)
        count += 1
        if spec.owner is not None and row[spec.owner] != contents.project:
            raise BadArchive(f"{reader.path}: a row of {spec.name} belongs to another project")
        for column, table in spec.refs.items():
            value = row[column]
            if value is not None and value not in ids[table]:
                raise BadArchive(
                    f"{reader.path}: a row of {spec.name} names {column} {str(value)[:40]!r}, "
                    "which the archive does not hold"
                )
        if spec.has_ids:
            ids[spec.name].add(row["id"])
        if spec.name == "projects":
            contents.project_id = row["id"]
        for column in spec.objects:
            if row[column] is not None:
                _digest(reader, row[column])
    if spec.name == "runs":  # nested runs name runs of the archive (in any order)
        _check_parents(reader, contents, member, codec)
    contents.digests[member.name] = hasher.hexdigest()
    return count


def _check_parents(
    reader: ArchiveReader, contents: Contents, member: Member, codec: RowCodec
) -> None:
    for line in reader.lines(member):
        parent = codec.decode(line)["parent_id"]
        if parent is not None and parent not in contents.ids["runs"]:
            raise BadArchive(f"{reader.path}: a run names a parent run the archive does not hold")


def _check_audit(reader: ArchiveReader, contents: Contents, member: Member | None) -> int:
    if member is None:
        raise BadArchive(f"{reader.path} has no audit member")
    codec = contents.audit_codec()
    hasher = new_hasher()
    count = 0
    for line in reader.lines(member, hasher):
        e = codec.decode(line)
        if e["project"] != contents.project:
            raise BadArchive(f"{reader.path}: an audit entry is about another project")
        expected = entry_hash(
            e["prev_hash"], e["time"], e["principal"], e["action"], e["target"], e["project"],
            e["source"], e["detail"],
        )  # fmt: skip
        if expected != e["hash"]:
            raise BadArchive(f"{reader.path}: audit entry {e['seq']} does not match its hash")
        count += 1
    contents.digests[member.name] = hasher.hexdigest()
    return count


def _digest(reader: ArchiveReader, value: Any) -> Digest:
    try:
        return Digest.parse(value)
    except InvalidInput:
        raise BadArchive(f"{reader.path}: a row names an object by a bad digest") from None


def checked_contents(
    reader: ArchiveReader, expect: Digest | None, progress: Progress
) -> tuple[Digest, Contents]:
    """The archive's id and contents, every member verified against its manifest first."""
    archive_id = verify(reader, progress)
    if expect is not None and expect != archive_id:
        raise BadArchive(
            f"{reader.path} is archive {archive_id.hex}, not the expected {expect.hex}"
        )
    return archive_id, read_contents(reader)


def store_objects(
    reader: ArchiveReader, store: ProjectObjects, contents: Contents, progress: Progress
) -> tuple[int, int]:
    """Put the archive's objects the store lacks; (stored, already present)."""
    missing = store.missing(contents.objects)
    progress.begin("objects", sum(contents.objects[d] for d in missing))
    stored = 0
    for member in reader.members():
        if not member.name.startswith("objects/"):
            continue
        digest = Digest(member.name.removeprefix("objects/"))
        if digest not in missing:
            continue
        with reader.stream(member) as stream:
            ref = store.put_stream(stream)
        if ref.digest != digest:  # the file changed since it was verified
            raise IntegrityError(
                f"{reader.path}: object {digest.hex} changed while it was imported",
                object_id=digest.hex,
            )
        stored += 1
        progress.advance(member.size)
    return stored, len(contents.objects) - len(missing)
